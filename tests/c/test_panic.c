/* A panic inside the core never crosses the C boundary: the call returns
 * CLERK_RESULT_PANIC with an error object, the process goes on, and the same client
 * handle keeps working (it is not poisoned). The panic is forced through the core's
 * test hook, the reserved operation name "$testing.panic" (see clerk-ffi/README.md). */
#include <stdio.h>
#include <string.h>

#include "check.h"

static const char *PANIC_OPERATION = "$testing.panic";

int main(void) {
    const char *api_url = required_env("CLERK_TEST_API_URL");
    const char *secret_key = required_env("CLERK_TEST_SECRET_KEY");
    char config[1024];
    clerk_client *client = NULL;
    char *json = NULL;
    int round;

    snprintf(config, sizeof config,
             "{\"api_url\": \"%s\", \"secret_key\": \"%s\", \"retry\": {\"max_attempts\": 1}}",
             api_url, secret_key);
    EXPECT(clerk_client_new(config, &client, &json), CLERK_RESULT_OK, json, NULL);
    if (client == NULL) {
        return check_summary("test_panic");
    }

    /* Panics and ordinary calls interleaved on one handle: each panic is reported, each
     * call after it succeeds. */
    for (round = 0; round < 3; round++) {
        EXPECT(clerk_client_call(client, PANIC_OPERATION, "{}", &json), CLERK_RESULT_PANIC, json,
               "\"kind\":\"panic\"");
        EXPECT(clerk_client_call(client, PANIC_OPERATION, NULL, &json), CLERK_RESULT_PANIC, json,
               "forced panic");
        EXPECT(clerk_client_call_with_options(client, PANIC_OPERATION, "{}", "{\"timeout_ms\": 5000}",
                                              &json),
               CLERK_RESULT_PANIC, json, "libclerk panicked");
        EXPECT(clerk_client_call(client, "users.list", "{\"limit\": 1}", &json), CLERK_RESULT_OK,
               json, "[");
        EXPECT(clerk_client_call(client, "users.get", "{\"user_id\": \"user_missing\"}", &json),
               CLERK_RESULT_API, json, "\"status\":404");
    }
    /* A NULL json_out is refused before the core runs: no panic, nothing to report it in. */
    CHECK(clerk_client_call(client, PANIC_OPERATION, "{}", NULL) == CLERK_RESULT_NULL_PARAMETER);
    /* The result name of the code is the documented one. */
    CHECK(strcmp(clerk_result_name(CLERK_RESULT_PANIC), "CLERK_RESULT_PANIC") == 0);

    clerk_client_free(client);
    return check_summary("test_panic");
}
