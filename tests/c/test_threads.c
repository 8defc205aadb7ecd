/* Eight threads share one client and one verifier: calls, errors and verifications run
 * concurrently; every result must be what a single thread would get. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

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
    const char *fixtures = required_env("CLERK_TEST_FIXTURES");
    char config[1024], path[1024];
    char *private_pem, *public_pem, *verifier_config, *json = NULL, *token = NULL;
    struct shared shared;
    pthread_t threads[THREADS];
    int i, total_ok = 0, total_wrong = 0;
    size_t size;

    snprintf(config, sizeof config,
             "{\"api_url\": \"%s\", \"secret_key\": \"%s\", \"retry\": {\"max_attempts\": 1}}",
             api_url, secret_key);
    CHECK(clerk_client_new(config, &shared.client, &json) == CLERK_RESULT_OK);

    snprintf(path, sizeof path, "%s/test_signing_key.pem", fixtures);
    private_pem = read_file(path);
    snprintf(path, sizeof path, "%s/test_signing_key.pub.pem", fixtures);
    public_pem = read_file(path);
    size = strlen(public_pem) * 2 + 64;
    verifier_config = malloc(size);
    CHECK(verifier_config != NULL && json_string_field(verifier_config, size, "jwt_key", public_pem));
    CHECK(clerk_verifier_new(verifier_config, NULL, &shared.verifier, &json) == CLERK_RESULT_OK);
    clerk_string_free(json);
    json = NULL;
    CHECK(mint(private_pem, "{\"sub\": \"user_threads\", \"sid\": \"sess_1\"}", 600, &token));
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
    free(public_pem);
    free(verifier_config);
    return check_summary("test_threads");
}
