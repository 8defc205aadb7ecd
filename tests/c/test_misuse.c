/* The C ABI misuse matrix: NULL for every pointer parameter of every function of
 * clerk.h, invalid UTF-8, invalid JSON, JSON of the wrong shape, unknown operation
 * names, out-of-range configuration, huge inputs (a 10 MB token, 1 MB header values,
 * 100,000 nested brackets) and clients freed before their pagers and verifiers.
 *
 * Every case must return its result code and, for every code but OK and DONE, an error
 * object {"kind", "message", ...} in *json_out (a NULL json_out can only be
 * CLERK_RESULT_NULL_PARAMETER, with nothing to free). No crash and, under valgrind and
 * ASan (tests/c/run.sh), no leak and no invalid access. The case count is printed;
 * tests/RELIABILITY.md quotes it. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "helpers.h"
#include "json_scan.h"

#define BAD_UTF8 "\xff\xfe\xc3\x28"
#define MB (1024 * 1024)

static int cases = 0;
static int cases_by_group[16];
static const char *group_names[16];
static int group = -1;

static void begin_group(const char *name) {
    group++;
    group_names[group] = name;
    cases_by_group[group] = 0;
}

/* One case: `got` must be `want`; on an error code `json` must be an error object whose
 * kind is `kind` (when not NULL); on OK or DONE `json` may be anything. Frees `json`. */
static void case_at(clerk_result got, clerk_result want, char *json, const char *kind,
                    const char *what, int line) {
    int ok = got == want;
    char seen_kind[64] = "";
    cases++;
    cases_by_group[group]++;
    if (ok && want != CLERK_RESULT_OK && want != CLERK_RESULT_DONE) {
        ok = json != NULL && json[0] == '{' && string_field(json, "kind", seen_kind,
                                                             sizeof seen_kind) &&
             strstr(json, "\"message\"") != NULL;
        if (ok && kind != NULL) ok = strcmp(seen_kind, kind) == 0;
    }
    check_at(ok, what, __FILE__, line);
    if (!ok) {
        fprintf(stderr, "     got %s, want %s (kind %s); json: %.300s\n", clerk_result_name(got),
                clerk_result_name(want), kind != NULL ? kind : "any",
                json != NULL ? json : "(NULL)");
    }
    clerk_string_free(json);
}

/* CASE(call, EXPECTATION): EXPECTATION is one of the pairs below (code, error kind). */
#define CASE(call, expectation) CASE_(call, expectation)
#define CASE_(call, want, kind) \
    do { \
        clerk_result case_rc_ = (call); \
        case_at(case_rc_, (want), json, (kind), #call, __LINE__); \
        json = NULL; \
    } while (0)

/* A NULL json_out: the only possible answer is CLERK_RESULT_NULL_PARAMETER. */
#define CASE_NO_JSON(call) \
    do { \
        clerk_result case_rc_ = (call); \
        cases++; \
        cases_by_group[group]++; \
        check_at(case_rc_ == CLERK_RESULT_NULL_PARAMETER, #call " == NULL_PARAMETER", __FILE__, \
                 __LINE__); \
    } while (0)

#define NP CLERK_RESULT_NULL_PARAMETER, "null_parameter"
#define UTF8 CLERK_RESULT_INVALID_UTF8, "invalid_utf8"
#define BADJSON CLERK_RESULT_INVALID_JSON, "invalid_json"
#define CONFIG CLERK_RESULT_CONFIG, "config"
#define PARAMS CLERK_RESULT_INVALID_PARAMS, "invalid_params"
#define UNKNOWN CLERK_RESULT_UNKNOWN_OPERATION, "unknown_operation"
#define VERIFY CLERK_RESULT_VERIFICATION, "verification"
#define WEBHOOK CLERK_RESULT_WEBHOOK, "webhook"
#define API CLERK_RESULT_API, "api"
#define OK CLERK_RESULT_OK, NULL
#define DONE CLERK_RESULT_DONE, NULL

/* A heap string of `n` copies of `c` after `prefix`, then `suffix`. */
static char *filled(const char *prefix, char c, size_t n, const char *suffix) {
    size_t p = strlen(prefix), s = strlen(suffix);
    char *text = malloc(p + n + s + 1);
    if (text == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    memcpy(text, prefix, p);
    memset(text + p, c, n);
    memcpy(text + p + n, suffix, s + 1);
    return text;
}

struct fixture {
    clerk_client *client;
    clerk_verifier *verifier;
    char user_id[64];
    char email[64];
    char *token;
    char *private_pem;
    const char *kid;
};

static const uint8_t PNG[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

static void null_pointers(struct fixture *f) {
    char *json = NULL, *out = NULL;
    clerk_client *client = NULL;
    clerk_pager *pager = NULL;
    clerk_verifier *verifier = NULL;
    uint16_t status = 0;
    char user_params[128], config[1024];
    const char *secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    snprintf(user_params, sizeof user_params, "{\"user_id\": \"%s\"}", f->user_id);
    snprintf(config, sizeof config,
             "{\"api_url\": \"%s\", \"secret_key\": \"%s\", \"retry\": {\"max_attempts\": 1}}",
             required_env("CLERK_TEST_API_URL"), required_env("CLERK_TEST_SECRET_KEY"));
    begin_group("NULL for every pointer parameter");

    /* Destructors: NULL is a no-op (each counts as a case that must not crash). */
    clerk_string_free(NULL);
    clerk_client_free(NULL);
    clerk_pager_free(NULL);
    clerk_verifier_free(NULL);
    cases += 4;
    cases_by_group[group] += 4;
    CHECK(clerk_version() != NULL);
    CHECK(strcmp(clerk_result_name(CLERK_RESULT_NULL_PARAMETER),
                 "CLERK_RESULT_NULL_PARAMETER") == 0);

    /* clerk_client_new: NULL config reads the environment (cleared in main: a config
     * error); NULL client_out and json_out are NULL parameters. */
    CASE(clerk_client_new(NULL, &client, &json), CONFIG);
    CHECK(client == NULL);
    CASE(clerk_client_new(config, NULL, &json), NP);
    CASE_NO_JSON(clerk_client_new(config, &client, NULL));
    CHECK(client == NULL);

    /* clerk_client_call: client, name, json_out required; params NULL means {}. */
    CASE(clerk_client_call(NULL, "GetUserList", NULL, &json), NP);
    CASE(clerk_client_call(f->client, NULL, NULL, &json), NP);
    CASE(clerk_client_call(f->client, "GetUserList", NULL, &json), OK);
    CASE_NO_JSON(clerk_client_call(f->client, "GetUserList", NULL, NULL));

    CASE(clerk_client_call_with_options(NULL, "GetUserList", NULL, NULL, &json), NP);
    CASE(clerk_client_call_with_options(f->client, NULL, NULL, NULL, &json), NP);
    CASE(clerk_client_call_with_options(f->client, "GetUserList", NULL, NULL, &json), OK);
    CASE_NO_JSON(clerk_client_call_with_options(f->client, "GetUserList", NULL, NULL, NULL));

    /* Multipart: content_type NULL means application/octet-stream; bytes_ptr may be
     * NULL only with bytes_len 0. */
    CASE(clerk_client_call_multipart(NULL, "users.set_profile_image", user_params, "file",
                                     "a.png", "image/png", PNG, sizeof PNG, &json),
         NP);
    CASE(clerk_client_call_multipart(f->client, NULL, user_params, "file", "a.png",
                                     "image/png", PNG, sizeof PNG, &json),
         NP);
    CASE(clerk_client_call_multipart(f->client, "users.set_profile_image", NULL, "file",
                                     "a.png", "image/png", PNG, sizeof PNG, &json),
         PARAMS);
    CASE(clerk_client_call_multipart(f->client, "users.set_profile_image", user_params, NULL,
                                     "a.png", "image/png", PNG, sizeof PNG, &json),
         NP);
    CASE(clerk_client_call_multipart(f->client, "users.set_profile_image", user_params, "file",
                                     NULL, "image/png", PNG, sizeof PNG, &json),
         NP);
    CASE(clerk_client_call_multipart(f->client, "users.set_profile_image", user_params, "file",
                                     "a.png", NULL, PNG, sizeof PNG, &json),
         OK);
    CASE(clerk_client_call_multipart(f->client, "users.set_profile_image", user_params, "file",
                                     "a.png", "image/png", NULL, 8, &json),
         NP);
    CASE(clerk_client_call_multipart(f->client, "users.set_profile_image", user_params, "file",
                                     "a.png", "image/png", NULL, 0, &json),
         API); /* accepted (an empty file), then refused by the server: 422 */
    CASE_NO_JSON(clerk_client_call_multipart(f->client, "users.set_profile_image", user_params,
                                             "file", "a.png", "image/png", PNG, sizeof PNG,
                                             NULL));

    /* Raw requests: query, body and status_out may be NULL. */
    CASE(clerk_client_request(NULL, "GET", "/users", NULL, NULL, &status, &json), NP);
    CASE(clerk_client_request(f->client, NULL, "/users", NULL, NULL, &status, &json), NP);
    CASE(clerk_client_request(f->client, "GET", NULL, NULL, NULL, &status, &json), NP);
    CASE(clerk_client_request(f->client, "GET", "/users", NULL, NULL, NULL, &json), OK);
    CASE_NO_JSON(clerk_client_request(f->client, "GET", "/users", NULL, NULL, &status, NULL));
    CASE(clerk_client_request_with_options(NULL, "GET", "/users", NULL, NULL, &status, NULL,
                                           &json),
         NP);
    CASE(clerk_client_request_with_options(f->client, NULL, "/users", NULL, NULL, &status, NULL,
                                           &json),
         NP);
    CASE(clerk_client_request_with_options(f->client, "GET", NULL, NULL, NULL, &status, NULL,
                                           &json),
         NP);
    CASE(clerk_client_request_with_options(f->client, "GET", "/users", NULL, NULL, NULL, NULL,
                                           &json),
         OK);
    CASE_NO_JSON(clerk_client_request_with_options(f->client, "GET", "/users", NULL, NULL,
                                                   &status, NULL, NULL));

    CASE_NO_JSON(clerk_operations_json(NULL));

    /* Pagers. */
    CASE(clerk_pager_new(NULL, "users.list", NULL, &pager, &json), NP);
    CASE(clerk_pager_new(f->client, NULL, NULL, &pager, &json), NP);
    CASE(clerk_pager_new(f->client, "users.list", NULL, NULL, &json), NP);
    CASE_NO_JSON(clerk_pager_new(f->client, "users.list", NULL, &pager, NULL));
    CHECK(pager == NULL);
    CASE(clerk_pager_next(NULL, &json), NP);
    CASE(clerk_pager_next_with_options(NULL, NULL, &json), NP);
    CASE(clerk_pager_new(f->client, "users.list", NULL, &pager, &json), OK);
    CASE_NO_JSON(clerk_pager_next(pager, NULL));
    CASE_NO_JSON(clerk_pager_next_with_options(pager, NULL, NULL));
    CASE(clerk_pager_next_with_options(pager, NULL, &json), OK);
    clerk_pager_free(pager);
    pager = NULL;

    /* Verifiers: config NULL with a client uses the client's JWKS; client NULL with a
     * jwt_key needs no network. */
    CASE(clerk_verifier_new(NULL, f->client, NULL, &json), NP);
    CASE_NO_JSON(clerk_verifier_new(NULL, f->client, &verifier, NULL));
    CHECK(verifier == NULL);
    CASE(clerk_verifier_new(NULL, f->client, &verifier, &json), OK);
    clerk_verifier_free(verifier);
    verifier = NULL;
    /* NULL config and NULL client read the environment, cleared: a verifier without key
     * source, which refuses every token. */
    CASE(clerk_verifier_new(NULL, NULL, &verifier, &json), OK);
    CASE(clerk_verifier_verify(verifier, f->token, &json), VERIFY);
    clerk_verifier_free(verifier);
    verifier = NULL;

    CASE(clerk_verifier_verify(NULL, f->token, &json), NP);
    CASE(clerk_verifier_verify(f->verifier, NULL, &json), NP);
    CASE_NO_JSON(clerk_verifier_verify(f->verifier, f->token, NULL));
    CASE(clerk_verifier_verify_machine_token(NULL, "ak_test", &json), NP);
    CASE(clerk_verifier_verify_machine_token(f->verifier, NULL, &json), NP);
    CASE_NO_JSON(clerk_verifier_verify_machine_token(f->verifier, "ak_test", NULL));
    CASE(clerk_authenticate_request(NULL, "{\"headers\": {}}", &json), NP);
    CASE(clerk_authenticate_request(f->verifier, NULL, &json), NP);
    CASE_NO_JSON(clerk_authenticate_request(f->verifier, "{\"headers\": {}}", NULL));

    /* Webhooks: body_ptr may be NULL with body_len 0. */
    CASE(clerk_webhook_verify(NULL, "{}", (const uint8_t *)"{}", 2, &json), NP);
    CASE(clerk_webhook_verify(secret, NULL, (const uint8_t *)"{}", 2, &json), NP);
    CASE(clerk_webhook_verify(secret, "{}", NULL, 2, &json), NP);
    CASE(clerk_webhook_verify(secret, "{}", NULL, 0, &json), WEBHOOK);
    CASE_NO_JSON(clerk_webhook_verify(secret, "{}", (const uint8_t *)"{}", 2, NULL));

    CASE(clerk_testing_sign_webhook(NULL, "msg_1", 1700000000, (const uint8_t *)"{}", 2, &out,
                                    &json),
         NP);
    CASE(clerk_testing_sign_webhook(secret, NULL, 1700000000, (const uint8_t *)"{}", 2, &out,
                                    &json),
         NP);
    CASE(clerk_testing_sign_webhook(secret, "msg_1", 1700000000, NULL, 2, &out, &json), NP);
    CASE(clerk_testing_sign_webhook(secret, "msg_1", 1700000000, (const uint8_t *)"{}", 2, NULL,
                                    &json),
         NP);
    CASE_NO_JSON(clerk_testing_sign_webhook(secret, "msg_1", 1700000000, (const uint8_t *)"{}",
                                            2, &out, NULL));
    CHECK(out == NULL);
    CASE(clerk_testing_sign_webhook(secret, "msg_1", 1700000000, NULL, 0, &out, &json), OK);
    CHECK(out != NULL && strncmp(out, "v1,", 3) == 0);
    clerk_string_free(out);
    out = NULL;

    CASE(clerk_testing_mint_session_token(NULL, f->kid, NULL, NULL, &out, &json), NP);
    CASE(clerk_testing_mint_session_token(f->private_pem, NULL, NULL, NULL, &out, &json), NP);
    CASE(clerk_testing_mint_session_token(f->private_pem, f->kid, NULL, NULL, NULL, &json), NP);
    CASE_NO_JSON(clerk_testing_mint_session_token(f->private_pem, f->kid, NULL, NULL, &out, NULL));
    CHECK(out == NULL);
    CASE(clerk_testing_mint_session_token(f->private_pem, f->kid, NULL, NULL, &out, &json), OK);
    clerk_string_free(out);
}

/* Every string parameter, one at a time, as invalid UTF-8. */
static void invalid_utf8(struct fixture *f) {
    char *json = NULL, *out = NULL;
    clerk_client *client = NULL;
    clerk_pager *pager = NULL;
    clerk_verifier *verifier = NULL;
    uint16_t status = 0;
    const uint8_t body[] = "{}";
    const char *secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    char user_params[128];
    snprintf(user_params, sizeof user_params, "{\"user_id\": \"%s\"}", f->user_id);
    begin_group("invalid UTF-8 in every string parameter");

    CASE(clerk_client_new("{\"secret_key\": \"" BAD_UTF8 "\"}", &client, &json), UTF8);
    CASE(clerk_client_call(f->client, BAD_UTF8, NULL, &json), UTF8);
    CASE(clerk_client_call(f->client, "GetUserList", "{\"email_address\": [\"" BAD_UTF8 "\"]}",
                           &json),
         UTF8);
    CASE(clerk_client_call_with_options(f->client, "GetUserList", NULL, BAD_UTF8, &json), UTF8);
    CASE(clerk_client_call_multipart(f->client, BAD_UTF8, user_params, "file", "a.png", NULL, PNG,
                                     sizeof PNG, &json),
         UTF8);
    CASE(clerk_client_call_multipart(f->client, "users.set_profile_image", BAD_UTF8, "file",
                                     "a.png", NULL, PNG, sizeof PNG, &json),
         UTF8);
    CASE(clerk_client_call_multipart(f->client, "users.set_profile_image", user_params, BAD_UTF8,
                                     "a.png", NULL, PNG, sizeof PNG, &json),
         UTF8);
    CASE(clerk_client_call_multipart(f->client, "users.set_profile_image", user_params, "file",
                                     BAD_UTF8, NULL, PNG, sizeof PNG, &json),
         UTF8);
    CASE(clerk_client_call_multipart(f->client, "users.set_profile_image", user_params, "file",
                                     "a.png", BAD_UTF8, PNG, sizeof PNG, &json),
         UTF8);
    CASE(clerk_client_request(f->client, BAD_UTF8, "/users", NULL, NULL, &status, &json), UTF8);
    CASE(clerk_client_request(f->client, "GET", "/users/" BAD_UTF8, NULL, NULL, &status, &json),
         UTF8);
    CASE(clerk_client_request(f->client, "GET", "/users", BAD_UTF8, NULL, &status, &json), UTF8);
    CASE(clerk_client_request(f->client, "POST", "/users", NULL, BAD_UTF8, &status, &json), UTF8);
    CASE(clerk_client_request_with_options(f->client, "GET", "/users", NULL, NULL, &status,
                                           BAD_UTF8, &json),
         UTF8);
    CASE(clerk_pager_new(f->client, BAD_UTF8, NULL, &pager, &json), UTF8);
    CASE(clerk_pager_new(f->client, "users.list", BAD_UTF8, &pager, &json), UTF8);
    CHECK(pager == NULL);
    CASE(clerk_pager_new(f->client, "users.list", NULL, &pager, &json), OK);
    CASE(clerk_pager_next_with_options(pager, BAD_UTF8, &json), UTF8);
    clerk_pager_free(pager);
    CASE(clerk_verifier_new(BAD_UTF8, f->client, &verifier, &json), UTF8);
    CHECK(verifier == NULL);
    CASE(clerk_verifier_verify(f->verifier, BAD_UTF8, &json), UTF8);
    CASE(clerk_verifier_verify_machine_token(f->verifier, BAD_UTF8, &json), UTF8);
    CASE(clerk_authenticate_request(f->verifier, BAD_UTF8, &json), UTF8);
    CASE(clerk_webhook_verify(BAD_UTF8, "{}", body, 2, &json), UTF8);
    CASE(clerk_webhook_verify(secret, BAD_UTF8, body, 2, &json), UTF8);
    CASE(clerk_testing_sign_webhook(BAD_UTF8, "msg_1", 1700000000, body, 2, &out, &json), UTF8);
    CASE(clerk_testing_sign_webhook(secret, BAD_UTF8, 1700000000, body, 2, &out, &json), UTF8);
    CASE(clerk_testing_mint_session_token(BAD_UTF8, f->kid, NULL, NULL, &out, &json), UTF8);
    CASE(clerk_testing_mint_session_token(f->private_pem, BAD_UTF8, NULL, NULL, &out, &json),
         UTF8);
    CASE(clerk_testing_mint_session_token(f->private_pem, f->kid, BAD_UTF8, NULL, &out, &json),
         UTF8);
    CASE(clerk_testing_mint_session_token(f->private_pem, f->kid, NULL, BAD_UTF8, &out, &json),
         UTF8);
    CHECK(out == NULL);
}

/* Every JSON parameter: not JSON at all, and JSON of the wrong shape. */
static void bad_json(struct fixture *f) {
    char *json = NULL, *out = NULL;
    clerk_client *client = NULL;
    clerk_pager *pager = NULL;
    clerk_verifier *verifier = NULL;
    uint16_t status = 0;
    const uint8_t body[] = "{}";
    const char *secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const char *broken[] = {"{", "[1,", "{\"a\": }", "nul", "{\"a\": 1} trailing", "\"\\x\""};
    size_t i;
    begin_group("invalid JSON in every JSON parameter");
    for (i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        const char *b = broken[i];
        CASE(clerk_client_new(b, &client, &json), BADJSON);
        CASE(clerk_client_call(f->client, "GetUserList", b, &json), BADJSON);
        CASE(clerk_client_call_with_options(f->client, "GetUserList", NULL, b, &json), BADJSON);
        CASE(clerk_client_call_multipart(f->client, "users.set_profile_image", b, "file", "a.png",
                                         NULL, PNG, sizeof PNG, &json),
             BADJSON);
        CASE(clerk_client_request(f->client, "GET", "/users", b, NULL, &status, &json), BADJSON);
        CASE(clerk_client_request(f->client, "POST", "/users", NULL, b, &status, &json), BADJSON);
        CASE(clerk_client_request_with_options(f->client, "GET", "/users", NULL, NULL, &status, b,
                                               &json),
             BADJSON);
        CASE(clerk_pager_new(f->client, "users.list", b, &pager, &json), BADJSON);
        CASE(clerk_verifier_new(b, f->client, &verifier, &json), BADJSON);
        CASE(clerk_authenticate_request(f->verifier, b, &json), BADJSON);
        CASE(clerk_webhook_verify(secret, b, body, 2, &json), BADJSON);
        CASE(clerk_testing_mint_session_token(f->private_pem, f->kid, b, NULL, &out, &json),
             BADJSON);
        CASE(clerk_testing_mint_session_token(f->private_pem, f->kid, NULL, b, &out, &json),
             BADJSON);
    }
    CHECK(client == NULL && pager == NULL && verifier == NULL && out == NULL);

    begin_group("JSON of the wrong shape");
    /* Configs: not objects, unknown keys, wrong value types. */
    CASE(clerk_client_new("[]", &client, &json), BADJSON);
    CASE(clerk_client_new("42", &client, &json), BADJSON);
    CASE(clerk_client_new("{\"secret_key\": 5}", &client, &json), BADJSON);
    CASE(clerk_client_new("{\"retry\": 5}", &client, &json), BADJSON);
    CASE(clerk_client_new("{\"retry\": {\"max_attempts\": \"3\"}}", &client, &json), BADJSON);
    CASE(clerk_client_new("{\"no_such_key\": 1}", &client, &json), BADJSON);
    CASE(clerk_verifier_new("[]", f->client, &verifier, &json), BADJSON);
    CASE(clerk_verifier_new("{\"authorized_parties\": \"x\"}", f->client, &verifier, &json),
         BADJSON);
    CASE(clerk_verifier_new("{\"no_such_key\": 1}", f->client, &verifier, &json), BADJSON);
    /* Params: not a flat object. */
    CASE(clerk_client_call(f->client, "GetUserList", "[1]", &json), BADJSON);
    CASE(clerk_client_call(f->client, "GetUserList", "\"x\"", &json), BADJSON);
    CASE(clerk_client_call(f->client, "GetUserList", "{\"limit\": \"ten\"}", &json), PARAMS);
    CASE(clerk_client_call(f->client, "GetUserList", "{\"no_such_param\": 1}", &json), PARAMS);
    CASE(clerk_client_call(f->client, "GetUser", "{}", &json), PARAMS);
    CASE(clerk_client_call(f->client, "GetUser", "{\"user_id\": {\"a\": 1}}", &json), PARAMS);
    CASE(clerk_pager_new(f->client, "users.list", "[]", &pager, &json), BADJSON);
    CASE(clerk_client_request(f->client, "GET", "/users", "[1]", NULL, &status, &json), BADJSON);
    CASE(clerk_client_request(f->client, "GET", "/users", "{\"a\": {\"b\": 1}}", NULL, &status,
                              &json),
         BADJSON);
    /* Options. */
    CASE(clerk_client_call_with_options(f->client, "GetUserList", NULL, "[]", &json), BADJSON);
    CASE(clerk_client_call_with_options(f->client, "GetUserList", NULL, "{\"timeout\": 5}",
                                        &json),
         BADJSON);
    CASE(clerk_client_call_with_options(f->client, "GetUserList", NULL,
                                        "{\"timeout_ms\": \"5\"}", &json),
         BADJSON);
    /* Requests to authenticate and webhook headers. */
    CASE(clerk_authenticate_request(f->verifier, "[]", &json), BADJSON);
    CASE(clerk_authenticate_request(f->verifier, "{\"headers\": []}", &json), BADJSON);
    CASE(clerk_authenticate_request(f->verifier, "{\"headers\": {\"Authorization\": 5}}", &json),
         BADJSON);
    CASE(clerk_webhook_verify(secret, "5", body, 2, &json), BADJSON);
    CASE(clerk_webhook_verify(secret, "[[1, 2]]", body, 2, &json), BADJSON);
    CASE(clerk_testing_mint_session_token(f->private_pem, f->kid, "[]", NULL, &out, &json),
         BADJSON);
    CHECK(client == NULL && pager == NULL && verifier == NULL && out == NULL);
}

static void unknown_operations(struct fixture *f) {
    char *json = NULL;
    clerk_pager *pager = NULL;
    const char *names[] = {"NoSuchOperation", "users.nope", "", "users.", ".list", "users.list.x",
                           "GETUSERLIST", " users.list"};
    size_t i;
    char user_params[128];
    snprintf(user_params, sizeof user_params, "{\"user_id\": \"%s\"}", f->user_id);
    begin_group("unknown operation names");
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        CASE(clerk_client_call(f->client, names[i], NULL, &json), UNKNOWN);
        CASE(clerk_client_call_with_options(f->client, names[i], NULL, NULL, &json), UNKNOWN);
        CASE(clerk_client_call_multipart(f->client, names[i], user_params, "file", "a.png", NULL,
                                         PNG, sizeof PNG, &json),
             UNKNOWN);
        CASE(clerk_pager_new(f->client, names[i], NULL, &pager, &json), UNKNOWN);
    }
    /* Known, but not what the function needs: a non-list for a pager. */
    CASE(clerk_pager_new(f->client, "users.get", user_params, &pager, &json), PARAMS);
    CHECK(pager == NULL);
    /* Methods a raw request does not know. */
    CASE(clerk_client_request(f->client, "BREW", "/users", NULL, NULL, NULL, &json), PARAMS);
    CASE(clerk_client_request(f->client, "", "/users", NULL, NULL, NULL, &json), PARAMS);
}

static void out_of_range_config(struct fixture *f) {
    char *json = NULL;
    clerk_client *client = NULL;
    clerk_verifier *verifier = NULL;
    char config[1024];
    const char *base = "\"secret_key\": \"sk_test_x\", \"api_url\": \"http://127.0.0.1:9\"";
    const char *client_bad[] = {
        "\"timeout_connect_ms\": 0",
        "\"timeout_connect_ms\": 600001",
        "\"timeout_request_ms\": 0",
        "\"timeout_request_ms\": 600001",
        "\"max_response_bytes\": 0",
        "\"max_response_bytes\": 1073741825",
        "\"retry\": {\"max_attempts\": 0}",
        "\"retry\": {\"max_attempts\": 11}",
        "\"retry\": {\"initial_backoff_ms\": 60001}",
        "\"retry\": {\"max_backoff_ms\": 300001}",
        "\"retry\": {\"initial_backoff_ms\": 1000, \"max_backoff_ms\": 999}",
        "\"retry\": {\"max_elapsed_ms\": 0}",
        "\"retry\": {\"max_elapsed_ms\": 600001}",
        "\"root_certificates_pem\": \"not a certificate\"",
    };
    const char *client_bad_url[] = {
        "\"api_url\": \"ftp://127.0.0.1\"",
        "\"api_url\": \"http://example.com\"",
        "\"api_url\": \"https://api.clerk.com/v1\"",
        "\"api_url\": \"https://user@api.clerk.com\"",
        "\"api_url\": \"https://api.clerk.com:0\"",
        "\"api_url\": \"https://api.clerk.com:65536\"",
        "\"api_url\": \"https://api.clerk.com?x=1\"",
        "\"api_url\": \"not a url\"",
    };
    /* Out of the JSON number types the config takes: a type error, not a crash. */
    const char *client_bad_number[] = {
        "\"timeout_connect_ms\": -1",
        "\"timeout_connect_ms\": 1.5",
        "\"timeout_connect_ms\": 1e30",
        "\"retry\": {\"max_attempts\": 18446744073709551616}",
    };
    const char *verifier_bad[] = {
        "{\"clock_skew_ms\": 300001}",
        "{\"jwks_ttl_ms\": 99}",
        "{\"jwks_ttl_ms\": 86400001}",
        "{\"kid_refetch_interval_ms\": 86400001}",
        "{\"max_stale_ms\": 86400001}",
        "{\"jwt_key\": \"-----BEGIN PUBLIC KEY-----\\nnope\\n-----END PUBLIC KEY-----\"}",
    };
    size_t i;
    begin_group("out-of-range configuration");
    for (i = 0; i < sizeof client_bad / sizeof client_bad[0]; i++) {
        snprintf(config, sizeof config, "{%s, %s}", base, client_bad[i]);
        CASE(clerk_client_new(config, &client, &json), CONFIG);
    }
    for (i = 0; i < sizeof client_bad_url / sizeof client_bad_url[0]; i++) {
        snprintf(config, sizeof config, "{\"secret_key\": \"sk_test_x\", %s}", client_bad_url[i]);
        CASE(clerk_client_new(config, &client, &json), CONFIG);
    }
    for (i = 0; i < sizeof client_bad_number / sizeof client_bad_number[0]; i++) {
        snprintf(config, sizeof config, "{%s, %s}", base, client_bad_number[i]);
        CASE(clerk_client_new(config, &client, &json), BADJSON);
    }
    CHECK(client == NULL);
    for (i = 0; i < sizeof verifier_bad / sizeof verifier_bad[0]; i++) {
        CASE(clerk_verifier_new(verifier_bad[i], f->client, &verifier, &json), CONFIG);
    }
    CASE(clerk_verifier_new("{\"clock_skew_ms\": -1}", f->client, &verifier, &json), BADJSON);
    CHECK(verifier == NULL);
    /* Per-call options out of range. */
    CASE(clerk_client_call_with_options(f->client, "GetUserList", NULL, "{\"timeout_ms\": 0}",
                                        &json),
         BADJSON);
    CASE(clerk_client_call_with_options(f->client, "GetUserList", NULL,
                                        "{\"timeout_ms\": 600001}", &json),
         BADJSON);
    CASE(clerk_client_request_with_options(f->client, "GET", "/users", NULL, NULL, NULL,
                                           "{\"timeout_ms\": -5}", &json),
         BADJSON);
}

/* 100,000 nested `[`: a JSON parser that recursed per level would overflow the stack. */
static void huge_inputs(struct fixture *f) {
    char *json = NULL, *out = NULL;
    clerk_client *client = NULL;
    clerk_pager *pager = NULL;
    clerk_verifier *verifier = NULL;
    uint16_t status = 0;
    const char *secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    char *nested = filled("", '[', 100000, "");
    char *nested_object = filled("{\"a\": ", '[', 100000, "}");
    char *token = filled("", 'A', 10 * MB, "");
    char *dotted = filled("eyJhbGciOiJSUzI1NiJ9.", 'A', 10 * MB, ".c2ln");
    char *bearer = filled("{\"headers\": {\"Authorization\": \"Bearer ", 'x', MB, "\"}}");
    char *cookie = filled("{\"headers\": {\"Cookie\": \"__session=", 'x', MB, "\"}}");
    char *many = filled("{\"headers\": {\"X-Big\": \"", 'x', MB, "\"}}");
    char *svix = filled("{\"svix-id\": \"msg_1\", \"svix-timestamp\": \"1700000000\", "
                        "\"svix-signature\": \"v1,",
                        'x', MB, "\"}");
    char *big_name = filled("users.", 'x', MB, "");
    char *big_params = filled("{\"user_id\": \"", 'x', MB, "\"}");
    char *big_path = filled("/users/", 'x', MB, "");
    char *mid_params = filled("{\"user_id\": \"", 'x', 65000, "\"}");
    begin_group("huge inputs");

    CASE(clerk_client_new(nested, &client, &json), BADJSON);
    CASE(clerk_client_call(f->client, "GetUserList", nested, &json), BADJSON);
    CASE(clerk_client_call(f->client, "GetUserList", nested_object, &json), BADJSON);
    CASE(clerk_client_call_with_options(f->client, "GetUserList", NULL, nested, &json), BADJSON);
    CASE(clerk_client_request(f->client, "GET", "/users", nested, NULL, &status, &json), BADJSON);
    CASE(clerk_client_request(f->client, "POST", "/users", NULL, nested, &status, &json), BADJSON);
    CASE(clerk_pager_new(f->client, "users.list", nested, &pager, &json), BADJSON);
    CASE(clerk_verifier_new(nested, f->client, &verifier, &json), BADJSON);
    CASE(clerk_authenticate_request(f->verifier, nested, &json), BADJSON);
    CASE(clerk_webhook_verify(secret, nested, (const uint8_t *)"{}", 2, &json), BADJSON);
    CASE(clerk_testing_mint_session_token(f->private_pem, f->kid, nested, NULL, &out, &json),
         BADJSON);
    CHECK(client == NULL && pager == NULL && verifier == NULL && out == NULL);

    /* A 10 MB token, as opaque text and shaped like a JWT: refused, not crashed. */
    CASE(clerk_verifier_verify(f->verifier, token, &json), VERIFY);
    CASE(clerk_verifier_verify(f->verifier, dotted, &json), VERIFY);
    CASE(clerk_verifier_verify_machine_token(f->verifier, dotted, &json), VERIFY);

    /* 1 MB header values: the request is authenticated (signed out), not crashed. */
    CASE(clerk_authenticate_request(f->verifier, bearer, &json), OK);
    CASE(clerk_authenticate_request(f->verifier, cookie, &json), OK);
    CASE(clerk_authenticate_request(f->verifier, many, &json), OK);
    CASE(clerk_webhook_verify(secret, svix, (const uint8_t *)"{}", 2, &json), WEBHOOK);

    /* A 1 MB operation name and a 1 MB path parameter. */
    CASE(clerk_client_call(f->client, big_name, NULL, &json), UNKNOWN);
    {
        /* Beyond what a URI can hold: a parameter error, before anything is sent (it was
         * CLERK_RESULT_CONFIG, "configuration error", until this matrix found it). */
        CASE(clerk_client_call(f->client, "GetUser", big_params, &json), PARAMS);
        CASE(clerk_client_request(f->client, "GET", big_path, NULL, NULL, NULL, &json), PARAMS);
        /* 60 KB fits a URI but not the emulator's 64 KiB request head... with the
         * headers: sent, and refused by the server (431). */
        CASE(clerk_client_call(f->client, "GetUser", mid_params, &json), API);
        clerk_string_free(json);
        json = NULL;
    }

    free(nested);
    free(nested_object);
    free(token);
    free(dotted);
    free(bearer);
    free(cookie);
    free(many);
    free(svix);
    free(big_name);
    free(big_params);
    free(big_path);
    free(mid_params);
}

/* Pagers and verifiers keep their client alive (clerk.h: "The pager does not borrow
 * client: the client may be freed first"; "the verifier keeps its own reference"). */
static void client_freed_first(struct fixture *f) {
    char *json = NULL, config[1024];
    clerk_client *client = NULL;
    clerk_pager *pager = NULL;
    clerk_verifier *verifier = NULL;
    int pages = 0;
    begin_group("client freed before its pagers and verifiers");
    snprintf(config, sizeof config,
             "{\"api_url\": \"%s\", \"secret_key\": \"%s\", \"retry\": {\"max_attempts\": 1}}",
             required_env("CLERK_TEST_API_URL"), required_env("CLERK_TEST_SECRET_KEY"));
    CASE(clerk_client_new(config, &client, &json), OK);
    /* One user matches: a page or two, then DONE, whatever else the emulator holds. */
    snprintf(config, sizeof config, "{\"email_address\": [\"%s\"], \"limit\": 1}", f->email);
    CASE(clerk_pager_new(client, "users.list", config, &pager, &json), OK);
    CASE(clerk_verifier_new(NULL, client, &verifier, &json), OK);
    clerk_client_free(client);
    client = NULL;
    /* The pager pages with the freed client's connection settings. */
    for (;;) {
        clerk_result rc = clerk_pager_next(pager, &json);
        if (rc == CLERK_RESULT_DONE) {
            CASE(rc, DONE);
            break;
        }
        CASE(rc, OK);
        if (++pages > 50) break; /* bounded: the emulator holds a handful of users */
    }
    CHECK(pages >= 1 && pages <= 2);
    /* The verifier's first JWKS fetch happens after the client is gone. */
    CASE(clerk_verifier_verify(verifier, f->token, &json), OK);
    CASE(clerk_verifier_verify(verifier, "not.a.token", &json), VERIFY);
    CASE(clerk_authenticate_request(verifier, "{\"headers\": {}}", &json), OK);
    clerk_pager_free(pager);
    /* A verifier outlives a pager too; freeing in either order is fine. */
    CASE(clerk_verifier_verify(verifier, f->token, &json), OK);
    clerk_verifier_free(verifier);
}

int main(void) {
    const char *api_url = required_env("CLERK_TEST_API_URL");
    const char *secret_key = required_env("CLERK_TEST_SECRET_KEY");
    char config[1024], claims[128];
    char *json = NULL;
    struct fixture f;
    int i;
    memset(&f, 0, sizeof f);
    /* NULL configs read these; the matrix expects them unset. */
    unsetenv("CLERK_SECRET_KEY");
    unsetenv("CLERK_API_URL");
    unsetenv("CLERK_JWT_KEY");
    unsetenv("CLERK_API_VERSION");

    snprintf(config, sizeof config,
             "{\"api_url\": \"%s\", \"secret_key\": \"%s\", \"retry\": {\"max_attempts\": 1}}",
             api_url, secret_key);
    CHECK(clerk_client_new(config, &f.client, &json) == CLERK_RESULT_OK);
    CHECK(clerk_verifier_new(NULL, f.client, &f.verifier, &json) == CLERK_RESULT_OK);
    /* tests/c/run.sh runs this program several times against one emulator. */
    snprintf(f.email, sizeof f.email, "misuse-%ld@example.com", (long)getpid());
    snprintf(claims, sizeof claims, "{\"email_address\": [\"%s\"]}", f.email);
    CHECK(clerk_client_call(f.client, "users.create", claims, &json) == CLERK_RESULT_OK);
    /* The user's own id (nested objects such as email addresses have ids too). */
    {
        const char *id = json != NULL ? strstr(json, "\"id\":\"user_") : NULL;
        CHECK(id != NULL && string_field(id, "id", f.user_id, sizeof f.user_id));
    }
    clerk_string_free(json);
    json = NULL;
    f.kid = required_env("CLERK_TEST_KID");
    f.private_pem = read_file(required_env("CLERK_TEST_SIGNING_KEY"));
    /* Valid for an hour: valgrind runs the matrix for minutes. */
    snprintf(claims, sizeof claims, "{\"sub\": \"user_misuse\", \"exp\": %lld}",
             (long long)time(NULL) + 3600);
    f.token = mint_token(f.private_pem, f.kid, claims, NULL);

    null_pointers(&f);
    invalid_utf8(&f);
    bad_json(&f);
    unknown_operations(&f);
    out_of_range_config(&f);
    huge_inputs(&f);
    client_freed_first(&f);

    for (i = 0; i <= group; i++) {
        printf("misuse cases: %-50s %d\n", group_names[i], cases_by_group[i]);
    }
    printf("misuse cases: %d in all\n", cases);

    clerk_string_free(f.token);
    free(f.private_pem);
    clerk_verifier_free(f.verifier);
    clerk_client_free(f.client);
    return check_summary("test_misuse");
}
