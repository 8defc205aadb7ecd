/* A minimal check harness for the C tests: counts checks, reports failures with their
 * line, and ends with an "N passed, N failed" line. */
#ifndef CLERK_TEST_CHECK_H
#define CLERK_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clerk.h"

static int checks_passed = 0;
static int checks_failed = 0;

static inline void check_at(int ok, const char *what, const char *file, int line) {
    if (ok) {
        checks_passed++;
    } else {
        checks_failed++;
        fprintf(stderr, "FAIL %s:%d: %s\n", file, line, what);
    }
}

#define CHECK(cond) check_at((cond) ? 1 : 0, #cond, __FILE__, __LINE__)

/* Checks a call's result code, and that *json holds `needle` (when not NULL) or is NULL
 * (when `needle` is NULL); frees the JSON. */
static inline void expect_at(clerk_result got, clerk_result want, char *json, const char *needle,
                      const char *what, const char *file, int line) {
    int ok = got == want;
    if (needle != NULL) {
        ok = ok && json != NULL && strstr(json, needle) != NULL;
    } else {
        ok = ok && json == NULL;
    }
    if (ok) {
        checks_passed++;
    } else {
        checks_failed++;
        fprintf(stderr, "FAIL %s:%d: %s: got %s, want %s; json: %s; expected to contain: %s\n",
                file, line, what, clerk_result_name(got), clerk_result_name(want),
                json != NULL ? json : "(NULL)", needle != NULL ? needle : "(NULL json)");
    }
    clerk_string_free(json);
}

#define EXPECT(call, want, json, needle) \
    do { \
        clerk_result expect_rc_ = (call); \
        expect_at(expect_rc_, (want), (json), (needle), #call, __FILE__, __LINE__); \
        (json) = NULL; \
    } while (0)

static inline int check_summary(const char *program) {
    printf("%s: %d passed, %d failed\n", program, checks_passed, checks_failed);
    return checks_failed == 0 ? 0 : 1;
}

/* An environment variable the driver script must set. */
static const char *required_env(const char *name) {
    const char *value = getenv(name);
    if (value == NULL || value[0] == '\0') {
        fprintf(stderr, "missing environment variable %s (run tests/c/run.sh)\n", name);
        exit(2);
    }
    return value;
}

#endif
