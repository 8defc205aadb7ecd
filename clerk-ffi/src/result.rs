//! The result codes every fallible function returns, and how error kinds map onto them.

use clerk_core::ErrorKind;

/// The outcome of a fallible libclerk function.
///
/// Numbers are stable: a code is never renumbered or reused for another meaning.
/// `CLERK_RESULT_OK` is 0, so `if (rc != CLERK_RESULT_OK)` and `if (rc)` both test
/// for failure. On every code other than `CLERK_RESULT_OK` and `CLERK_RESULT_DONE`, the
/// function's `json_out` holds an error object
/// `{"kind", "message", "status"?, "reason"?, "errors"?, "clerk_trace_id"?}`.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum clerk_result {
    /// Success; the outputs are written.
    Ok = 0,
    /// A pager has no more pages (`clerk_pager_next`); `*json_out` is set to NULL.
    Done = 1,
    /// A Rust panic was caught at the library boundary (a bug in libclerk; please report it).
    Panic = 100,
    /// A required pointer argument was NULL.
    NullParameter = 101,
    /// A string argument was not valid UTF-8.
    InvalidUtf8 = 102,
    /// A JSON argument did not parse, or was not the JSON type the function expects.
    InvalidJson = 103,
    /// The parameters do not fit the operation (unknown key, wrong type, missing required).
    InvalidParams = 104,
    /// No operation has the given operationId or `resource.method` name.
    UnknownOperation = 105,
    /// The configuration is invalid (bad URL, missing secret key, unreadable key or certificate).
    Config = 106,
    /// The Backend API answered with a non-2xx status; the error JSON has `status` and `errors`.
    Api = 200,
    /// The request did not complete (DNS, connect, TLS or I/O failure).
    Transport = 201,
    /// A connect or request deadline passed.
    Timeout = 202,
    /// The response could not be decoded.
    Decode = 203,
    /// The response body was larger than `max_response_bytes`.
    ResponseTooLarge = 204,
    /// A session or machine token was rejected; the error JSON's `reason` is the reason code
    /// (for example `token-expired`).
    Verification = 300,
    /// A webhook's signature, timestamp or headers did not verify.
    Webhook = 301,
    /// An error this version of the C library has no dedicated code for.
    Unexpected = 999,
}

/// Every code, for `clerk_result_name` and the tests.
const ALL_RESULTS: [clerk_result; 17] = [
    clerk_result::Ok,
    clerk_result::Done,
    clerk_result::Panic,
    clerk_result::NullParameter,
    clerk_result::InvalidUtf8,
    clerk_result::InvalidJson,
    clerk_result::InvalidParams,
    clerk_result::UnknownOperation,
    clerk_result::Config,
    clerk_result::Api,
    clerk_result::Transport,
    clerk_result::Timeout,
    clerk_result::Decode,
    clerk_result::ResponseTooLarge,
    clerk_result::Verification,
    clerk_result::Webhook,
    clerk_result::Unexpected,
];

impl clerk_result {
    /// The C name of the code, NUL-terminated.
    pub const fn name_with_nul(self) -> &'static str {
        match self {
            clerk_result::Ok => "CLERK_RESULT_OK\0",
            clerk_result::Done => "CLERK_RESULT_DONE\0",
            clerk_result::Panic => "CLERK_RESULT_PANIC\0",
            clerk_result::NullParameter => "CLERK_RESULT_NULL_PARAMETER\0",
            clerk_result::InvalidUtf8 => "CLERK_RESULT_INVALID_UTF8\0",
            clerk_result::InvalidJson => "CLERK_RESULT_INVALID_JSON\0",
            clerk_result::InvalidParams => "CLERK_RESULT_INVALID_PARAMS\0",
            clerk_result::UnknownOperation => "CLERK_RESULT_UNKNOWN_OPERATION\0",
            clerk_result::Config => "CLERK_RESULT_CONFIG\0",
            clerk_result::Api => "CLERK_RESULT_API\0",
            clerk_result::Transport => "CLERK_RESULT_TRANSPORT\0",
            clerk_result::Timeout => "CLERK_RESULT_TIMEOUT\0",
            clerk_result::Decode => "CLERK_RESULT_DECODE\0",
            clerk_result::ResponseTooLarge => "CLERK_RESULT_RESPONSE_TOO_LARGE\0",
            clerk_result::Verification => "CLERK_RESULT_VERIFICATION\0",
            clerk_result::Webhook => "CLERK_RESULT_WEBHOOK\0",
            clerk_result::Unexpected => "CLERK_RESULT_UNEXPECTED\0",
        }
    }

    /// The code for a raw number, if it is one.
    pub fn from_raw(raw: u32) -> Option<clerk_result> {
        ALL_RESULTS.into_iter().find(|code| *code as u32 == raw)
    }

    /// The code of an error kind. Exhaustive on purpose (no catch-all arm): a kind added to
    /// the core's table does not compile here until it has a code.
    pub const fn for_kind(kind: ErrorKind) -> clerk_result {
        match kind {
            ErrorKind::Api => clerk_result::Api,
            ErrorKind::Transport => clerk_result::Transport,
            ErrorKind::Timeout => clerk_result::Timeout,
            ErrorKind::Decode => clerk_result::Decode,
            ErrorKind::ResponseTooLarge => clerk_result::ResponseTooLarge,
            ErrorKind::InvalidParams => clerk_result::InvalidParams,
            ErrorKind::UnknownOperation => clerk_result::UnknownOperation,
            ErrorKind::Config => clerk_result::Config,
            ErrorKind::Verification => clerk_result::Verification,
            ErrorKind::Webhook => clerk_result::Webhook,
            ErrorKind::NullParameter => clerk_result::NullParameter,
            ErrorKind::InvalidUtf8 => clerk_result::InvalidUtf8,
            ErrorKind::InvalidJson => clerk_result::InvalidJson,
            ErrorKind::Panic => clerk_result::Panic,
            ErrorKind::Unexpected => clerk_result::Unexpected,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_its_number_and_has_a_distinct_name() {
        let mut names = std::collections::HashSet::new();
        for code in ALL_RESULTS {
            assert_eq!(clerk_result::from_raw(code as u32), Some(code));
            let name = code.name_with_nul();
            assert!(name.starts_with("CLERK_RESULT_") && name.ends_with('\0'));
            assert!(names.insert(name), "duplicate name {name}");
        }
        assert_eq!(clerk_result::from_raw(12345), None);
    }

    #[test]
    fn numbers_are_stable() {
        // These numbers are ABI: changing one breaks compiled C programs.
        assert_eq!(clerk_result::Ok as u32, 0);
        assert_eq!(clerk_result::Done as u32, 1);
        assert_eq!(clerk_result::Panic as u32, 100);
        assert_eq!(clerk_result::NullParameter as u32, 101);
        assert_eq!(clerk_result::Api as u32, 200);
        assert_eq!(clerk_result::Verification as u32, 300);
        assert_eq!(clerk_result::Webhook as u32, 301);
        assert_eq!(clerk_result::Unexpected as u32, 999);
    }

    #[test]
    fn every_error_kind_maps_to_its_own_code_and_the_same_name() {
        // Every kind has a dedicated code (none falls back to CLERK_RESULT_UNEXPECTED
        // except `unexpected` itself), no two kinds share one, and the code's C name is
        // the kind's name: CLERK_RESULT_<KIND>.
        let mut codes = std::collections::HashSet::new();
        for kind in ErrorKind::ALL {
            let code = clerk_result::for_kind(kind);
            assert!(codes.insert(code as u32), "{kind} shares {code:?}");
            assert_ne!(code, clerk_result::Ok, "{kind}");
            assert_ne!(code, clerk_result::Done, "{kind}");
            let expected = format!("CLERK_RESULT_{}\0", kind.as_str().to_ascii_uppercase());
            assert_eq!(code.name_with_nul(), expected, "{kind}");
            assert_eq!(clerk_result::from_raw(code as u32), Some(code));
        }
        // Every error code is some kind's code: only OK and DONE are not errors.
        assert_eq!(codes.len(), ALL_RESULTS.len() - 2);
    }

    #[test]
    fn kinds_keep_their_numbers() {
        // The C ABI: each kind's number is fixed (see numbers_are_stable).
        let expected = [
            (ErrorKind::Api, 200),
            (ErrorKind::Transport, 201),
            (ErrorKind::Timeout, 202),
            (ErrorKind::Decode, 203),
            (ErrorKind::ResponseTooLarge, 204),
            (ErrorKind::InvalidParams, 104),
            (ErrorKind::UnknownOperation, 105),
            (ErrorKind::Config, 106),
            (ErrorKind::Verification, 300),
            (ErrorKind::Webhook, 301),
            (ErrorKind::NullParameter, 101),
            (ErrorKind::InvalidUtf8, 102),
            (ErrorKind::InvalidJson, 103),
            (ErrorKind::Panic, 100),
            (ErrorKind::Unexpected, 999),
        ];
        assert_eq!(expected.len(), ErrorKind::ALL.len());
        for (kind, number) in expected {
            assert_eq!(clerk_result::for_kind(kind) as u32, number, "{kind}");
        }
    }
}
