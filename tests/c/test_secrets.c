/* Secrets never leak into the error JSON of the C library: the secret key (a refused one
 * included), session tokens and webhook secrets are absent from every error object and
 * from the signed-out state of a refused request. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "helpers.h"

static const char *WRONG_KEY = "sk_test_WrongKeyWrongKeyWrong0123456789";
static const char *WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
static const char *PASSWORD = "hunter2ProxyPassword";

/* Checks that `json` (an error object or state, never NULL here) holds none of the
 * secrets, neither whole nor their last 16 characters; frees it. */
static void check_clean_at(clerk_result got, clerk_result want, char *json, const char **secrets,
                           const char *what, int line) {
    int ok = got == want && json != NULL;
    const char **secret;
    for (secret = secrets; ok && *secret != NULL; secret++) {
        size_t length = strlen(*secret);
        const char *tail = length > 16 ? *secret + length - 16 : *secret;
        if (strstr(json, *secret) != NULL || strstr(json, tail) != NULL) {
            fprintf(stderr, "FAIL line %d: %s: shows a secret (%s): %s\n", line, what, tail, json);
            ok = 0;
        }
    }
    if (got != want) {
        fprintf(stderr, "FAIL line %d: %s: got %s, want %s: %s\n", line, what,
                clerk_result_name(got), clerk_result_name(want), json != NULL ? json : "(NULL)");
    }
    check_at(ok, what, __FILE__, line);
    clerk_string_free(json);
}

#define CHECK_CLEAN(call, want, json, secrets) \
    do { \
        clerk_result clean_rc_ = (call); \
        check_clean_at(clean_rc_, (want), (json), (secrets), #call, __LINE__); \
        (json) = NULL; \
    } while (0)

int main(void) {
    const char *api_url = required_env("CLERK_TEST_API_URL");
    const char *secret_key = required_env("CLERK_TEST_SECRET_KEY");
    const char *kid = required_env("CLERK_TEST_KID");
    char *signing_pem = read_file(required_env("CLERK_TEST_SIGNING_KEY"));
    char config[2048], request[4096], headers[512];
    clerk_client *client = NULL, *wrong = NULL;
    clerk_verifier *verifier = NULL;
    char *json = NULL, *expired, *valid, *bad_signature;
    const char *body = "{\"type\":\"user.created\",\"data\":{}}";
    const char *secrets[8] = {0};

    expired = mint_token(signing_pem, kid, "{\"exp\": 1000, \"iat\": 900, \"nbf\": 900}", NULL);
    valid = mint_token(signing_pem, kid, "{}", NULL);
    bad_signature = malloc(strlen(valid) + 8);
    strcpy(bad_signature, valid);
    strcpy(strrchr(bad_signature, '.') + 1, "AAAA");
    secrets[0] = secret_key;
    secrets[1] = WRONG_KEY;
    secrets[2] = WEBHOOK_SECRET;
    secrets[3] = PASSWORD;
    secrets[4] = expired;
    secrets[5] = strrchr(valid, '.') + 1; /* the genuine signature */
    secrets[6] = strrchr(expired, '.') + 1;

    snprintf(config, sizeof config,
             "{\"api_url\": \"%s\", \"secret_key\": \"%s\", \"retry\": {\"max_attempts\": 1}}",
             api_url, secret_key);
    EXPECT(clerk_client_new(config, &client, &json), CLERK_RESULT_OK, json, NULL);
    snprintf(config, sizeof config,
             "{\"api_url\": \"%s\", \"secret_key\": \"%s\", \"retry\": {\"max_attempts\": 1}}",
             api_url, WRONG_KEY);
    EXPECT(clerk_client_new(config, &wrong, &json), CLERK_RESULT_OK, json, NULL);

    /* Configuration errors handed a secret. */
    snprintf(config, sizeof config, "{\"secret_key\": \"%s \\n\"}", WRONG_KEY);
    CHECK_CLEAN(clerk_client_new(config, &client, &json), CLERK_RESULT_CONFIG, json, secrets);
    snprintf(config, sizeof config, "{\"secret_key\": \"%s\", \"api_url\": \"https://u:%s@x\"}",
             WRONG_KEY, PASSWORD);
    CHECK_CLEAN(clerk_client_new(config, &client, &json), CLERK_RESULT_CONFIG, json, secrets);
    snprintf(config, sizeof config, "{\"secret_key\": \"%s\", \"proxy\": \"http://u:%s@[::1\"}",
             WRONG_KEY, PASSWORD);
    CHECK_CLEAN(clerk_client_new(config, &client, &json), CLERK_RESULT_CONFIG, json, secrets);
    snprintf(config, sizeof config, "{\"secret_key\": \"%s\", \"bogus\": 1}", WRONG_KEY);
    CHECK_CLEAN(clerk_client_new(config, &client, &json), CLERK_RESULT_INVALID_JSON, json, secrets);

    /* API errors: a refused key, raw and by name; a missing resource. */
    CHECK_CLEAN(clerk_client_call(wrong, "users.list", "{}", &json), CLERK_RESULT_API, json, secrets);
    {
        uint16_t status = 0;
        CHECK_CLEAN(clerk_client_request(wrong, "GET", "/users", NULL, NULL, &status, &json),
                    CLERK_RESULT_API, json, secrets);
    }
    CHECK_CLEAN(clerk_client_call(client, "users.get", "{\"user_id\": \"user_missing\"}", &json),
                CLERK_RESULT_API, json, secrets);

    /* Verification refusals, through the instance's JWKS (fetched with the key) and
     * through a JWKS fetch with a refused key. */
    EXPECT(clerk_verifier_new("{}", client, &verifier, &json), CLERK_RESULT_OK, json, NULL);
    EXPECT(clerk_verifier_verify(verifier, valid, &json), CLERK_RESULT_OK, json, "\"sub\"");
    CHECK_CLEAN(clerk_verifier_verify(verifier, expired, &json), CLERK_RESULT_VERIFICATION, json,
                secrets);
    CHECK_CLEAN(clerk_verifier_verify(verifier, bad_signature, &json), CLERK_RESULT_VERIFICATION,
                json, secrets);
    CHECK_CLEAN(clerk_verifier_verify(verifier, "eyJhbGciOiJub25lIn0.c2VjcmV0.", &json),
                CLERK_RESULT_VERIFICATION, json, secrets);
    CHECK_CLEAN(clerk_verifier_verify_machine_token(verifier, "mt_unknownSecretMachineToken", &json),
                CLERK_RESULT_VERIFICATION, json, secrets);
    snprintf(request, sizeof request,
             "{\"headers\": {\"Cookie\": \"__session=%s; __client_uat=1\", \"Accept\": \"text/html\"}}",
             expired);
    CHECK_CLEAN(clerk_authenticate_request(verifier, request, &json), CLERK_RESULT_OK, json, secrets);
    snprintf(request, sizeof request, "{\"headers\": {\"Authorization\": \"Bearer %s\"}}",
             bad_signature);
    CHECK_CLEAN(clerk_authenticate_request(verifier, request, &json), CLERK_RESULT_OK, json, secrets);
    clerk_verifier_free(verifier);
    verifier = NULL;
    EXPECT(clerk_verifier_new("{}", wrong, &verifier, &json), CLERK_RESULT_OK, json, NULL);
    CHECK_CLEAN(clerk_verifier_verify(verifier, valid, &json), CLERK_RESULT_VERIFICATION, json,
                secrets);
    clerk_verifier_free(verifier);

    /* Webhook refusals, and a secret that is no base64. */
    snprintf(headers, sizeof headers,
             "{\"svix-id\": \"msg_1\", \"svix-timestamp\": \"%ld\", \"svix-signature\": \"v1,AAAA\"}",
             (long)time(NULL));
    CHECK_CLEAN(clerk_webhook_verify(WEBHOOK_SECRET, headers, (const uint8_t *)body, strlen(body), &json),
                CLERK_RESULT_WEBHOOK, json, secrets);
    CHECK_CLEAN(clerk_webhook_verify(WEBHOOK_SECRET, "{}", (const uint8_t *)body, strlen(body), &json),
                CLERK_RESULT_WEBHOOK, json, secrets);
    {
        char bad_secret[128];
        snprintf(bad_secret, sizeof bad_secret, "%s!", WEBHOOK_SECRET);
        CHECK_CLEAN(clerk_webhook_verify(bad_secret, headers, (const uint8_t *)body, strlen(body), &json),
                    CLERK_RESULT_WEBHOOK, json, secrets);
    }

    clerk_client_free(client);
    clerk_client_free(wrong);
    clerk_string_free(expired);
    clerk_string_free(valid);
    free(bad_signature);
    free(signing_pem);
    return check_summary("test_secrets");
}
