/* Eight threads share one client and one verifier: calls, errors and verifications run
 * concurrently; every result must be what a single thread would get. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

#define THREADS 8
#define ROUNDS 25

struct shared {
    clerk_client *client;
    clerk_verifier *verifier;
    const char *token;
    const char *user_id;
};

struct outcome {
    int ok;
    int wrong;
};

static void tally(struct outcome *outcome, int ok, const char *what, const char *json) {
    if (ok) {
        outcome->ok++;
    } else {
        outcome->wrong++;
        fprintf(stderr, "thread check failed: %s: %s\n", what, json != NULL ? json : "(NULL)");
    }
}

static void *worker(void *argument) {
    const struct shared *shared = argument;
    struct outcome *outcome = calloc(1, sizeof *outcome);
    int round;
    if (outcome == NULL) return NULL;
    for (round = 0; round < ROUNDS; round++) {
        char *json = NULL;
        clerk_result rc = clerk_client_call(shared->client, "GetUserList", "{\"limit\": 2}", &json);
        tally(outcome, rc == CLERK_RESULT_OK && json != NULL && json[0] == '[', "list", json);
        clerk_string_free(json);

        json = NULL;
        rc = clerk_client_call(shared->client, "GetUser", "{\"user_id\": \"user_missing\"}", &json);
        tally(outcome, rc == CLERK_RESULT_API && strstr(json, "\"status\":404") != NULL,
              "missing user", json);
        clerk_string_free(json);

        json = NULL;
        rc = clerk_verifier_verify(shared->verifier, shared->token, &json);
        tally(outcome, rc == CLERK_RESULT_OK && strstr(json, shared->user_id) != NULL, "verify",
              json);
        clerk_string_free(json);

        json = NULL;
        rc = clerk_verifier_verify(shared->verifier, "not.a.token", &json);
        tally(outcome, rc == CLERK_RESULT_VERIFICATION && strstr(json, "token-invalid") != NULL,
              "verify garbage", json);
        clerk_string_free(json);
    }
    return outcome;
}

int main(void) {
    const char *api_url = required_env("CLERK_TEST_API_URL");
    const char *secret_key = required_env("CLERK_TEST_SECRET_KEY");
    const char *key_path = required_env("CLERK_TEST_SIGNING_KEY");
    const char *kid = required_env("CLERK_TEST_KID");
    char config[1024];
    char *private_pem, *json = NULL, *token = NULL;
    struct shared shared;
    pthread_t threads[THREADS];
    int i, total_ok = 0, total_wrong = 0;

    snprintf(config, sizeof config,
             "{\"api_url\": \"%s\", \"secret_key\": \"%s\", \"retry\": {\"max_attempts\": 1}}",
             api_url, secret_key);
    CHECK(clerk_client_new(config, &shared.client, &json) == CLERK_RESULT_OK);

    /* The verifier fetches the emulator's JWKS through the shared client on first use,
     * from whichever thread gets there first. */
    CHECK(clerk_verifier_new(NULL, shared.client, &shared.verifier, &json) == CLERK_RESULT_OK);
    clerk_string_free(json);
    json = NULL;
    private_pem = read_file(key_path);
    token = mint_token(private_pem, kid, "{\"sub\": \"user_threads\"}", NULL);
    shared.token = token;
    shared.user_id = "user_threads";

    for (i = 0; i < THREADS; i++) {
        CHECK(pthread_create(&threads[i], NULL, worker, &shared) == 0);
    }
    for (i = 0; i < THREADS; i++) {
        void *result = NULL;
        struct outcome *outcome;
        pthread_join(threads[i], &result);
        outcome = result;
        CHECK(outcome != NULL);
        if (outcome != NULL) {
            total_ok += outcome->ok;
            total_wrong += outcome->wrong;
            free(outcome);
        }
    }
    CHECK(total_ok == THREADS * ROUNDS * 4);
    CHECK(total_wrong == 0);
    printf("%d threads x %d rounds: %d calls as expected, %d not\n", THREADS, ROUNDS, total_ok,
           total_wrong);

    clerk_string_free(token);
    clerk_verifier_free(shared.verifier);
    clerk_client_free(shared.client);
    free(private_pem);
    return check_summary("test_threads");
}
