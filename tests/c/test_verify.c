/* Verification functions of libclerk against the emulator's JWKS and a PEM key: every
 * reason path, request authentication, machine tokens, webhooks, token minting and the
 * misuse matrix. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "helpers.h"

static const char *BAD_UTF8 = "\xff\xfe";
static const char *kid;
static char *emulator_pem; /* the emulator's signing key: its JWKS has the public half */
static char *other_pem;    /* a key the emulator does not know */

static clerk_verifier *new_verifier(const char *config, const clerk_client *client) {
    clerk_verifier *verifier = NULL;
    char *json = NULL;
    clerk_result rc = clerk_verifier_new(config, client, &verifier, &json);
    if (rc != CLERK_RESULT_OK) {
        fprintf(stderr, "clerk_verifier_new failed: %s %s\n", clerk_result_name(rc), json);
        exit(2);
    }
    return verifier;
}

/* Verifies a token minted with `claims`/`header` and checks the outcome. */
static void expect_verify_at(clerk_verifier *verifier, const char *pem, const char *claims,
                             const char *header, clerk_result want, const char *needle,
                             int line) {
    char *token = mint_token(pem, kid, claims, header);
    char *json = NULL;
    clerk_result rc = clerk_verifier_verify(verifier, token, &json);
    expect_at(rc, want, json, needle, claims, __FILE__, line);
    clerk_string_free(token);
}
#define EXPECT_VERIFY(verifier, pem, claims, header, want, needle) \
    expect_verify_at((verifier), (pem), (claims), (header), (want), (needle), __LINE__)

static void test_jwks_verifier(clerk_client *client) {
    char config[256];
    long now = (long)time(NULL);
    clerk_verifier *verifier = new_verifier(NULL, client);
    clerk_verifier *strict;

    EXPECT_VERIFY(verifier, emulator_pem, "{\"sub\": \"user_c\"}", NULL, CLERK_RESULT_OK,
                  "\"sub\":\"user_c\"");
    EXPECT_VERIFY(verifier, emulator_pem,
                  "{\"sub\": \"user_o\", \"o\": {\"id\": \"org_1\", \"rol\": \"admin\","
                  " \"slg\": \"acme\", \"per\": \"read,manage\", \"fpm\": \"3\"},"
                  " \"fea\": \"o:dash\"}",
                  NULL, CLERK_RESULT_OK, "org:dash:manage");
    EXPECT_VERIFY(verifier, emulator_pem, "{\"sub\": \"user_c\"}", NULL, CLERK_RESULT_OK,
                  "\"raw\":{");

    /* Each reason of the reference, in its own case. */
    snprintf(config, sizeof config, "{\"exp\": %ld, \"iat\": %ld, \"nbf\": %ld}", now - 60,
             now - 120, now - 120);
    EXPECT_VERIFY(verifier, emulator_pem, config, NULL, CLERK_RESULT_VERIFICATION,
                  "\"reason\":\"token-expired\"");
    snprintf(config, sizeof config, "{\"nbf\": %ld}", now + 120);
    EXPECT_VERIFY(verifier, emulator_pem, config, NULL, CLERK_RESULT_VERIFICATION,
                  "\"reason\":\"token-not-active-yet\"");
    snprintf(config, sizeof config, "{\"iat\": %ld, \"nbf\": null}", now + 120);
    EXPECT_VERIFY(verifier, emulator_pem, config, NULL, CLERK_RESULT_VERIFICATION,
                  "\"reason\":\"token-iat-in-the-future\"");
    EXPECT_VERIFY(verifier, other_pem, "{}", NULL, CLERK_RESULT_VERIFICATION,
                  "\"reason\":\"token-invalid-signature\"");
    EXPECT_VERIFY(verifier, emulator_pem, "{}", "{\"alg\": \"HS256\"}",
                  CLERK_RESULT_VERIFICATION, "\"reason\":\"token-invalid-algorithm\"");
    EXPECT_VERIFY(verifier, emulator_pem, "{}", "{\"kid\": \"ins_unknown\"}",
                  CLERK_RESULT_VERIFICATION, "\"reason\":\"jwk-kid-mismatch\"");
    EXPECT_VERIFY(verifier, emulator_pem, "{\"sub\": 42}", NULL, CLERK_RESULT_VERIFICATION,
                  "\"reason\":\"token-verification-failed\"");
    EXPECT_VERIFY(verifier, emulator_pem, "{}", "{\"cat\": \"cl_B7d4PD333AAA\"}",
                  CLERK_RESULT_VERIFICATION, "\"reason\":\"token-invalid\"");

    /* Claim rules from the config. */
    strict = new_verifier("{\"authorized_parties\": [\"https://app.example\"],"
                          " \"issuer\": [\"https://clerk.example.test\"], \"clock_skew_ms\": 0,"
                          " \"jwks_ttl_ms\": 60000, \"kid_refetch_interval_ms\": 1000,"
                          " \"max_stale_ms\": 60000, \"audience\": [\"api\"]}",
                          client);
    EXPECT_VERIFY(strict, emulator_pem, "{\"azp\": \"https://app.example\"}", NULL,
                  CLERK_RESULT_OK, "\"azp\":\"https://app.example\"");
    EXPECT_VERIFY(strict, emulator_pem, "{\"azp\": \"https://evil.example\"}", NULL,
                  CLERK_RESULT_VERIFICATION, "\"reason\":\"token-invalid-authorized-parties\"");
    EXPECT_VERIFY(strict, emulator_pem,
                  "{\"azp\": \"https://app.example\", \"iss\": \"https://other.example\"}", NULL,
                  CLERK_RESULT_VERIFICATION, "\"reason\":\"token-invalid-issuer\"");
    EXPECT_VERIFY(strict, emulator_pem, "{\"azp\": \"https://app.example\", \"aud\": \"web\"}",
                  NULL, CLERK_RESULT_VERIFICATION, "\"reason\":\"token-verification-failed\"");
    clerk_verifier_free(strict);
    clerk_verifier_free(verifier);
}

/* POSTs to one of the emulator's control endpoints (outside /v1, so not through the
 * client); returns 1 on a 200 answer. */
static int emulator_control(const char *api_url, const char *path) {
    char host[256], port[16], request[512], answer[64];
    const char *authority = strstr(api_url, "://");
    const char *colon;
    struct addrinfo hints, *addresses = NULL;
    int fd = -1, ok = 0;
    ssize_t got;
    if (authority == NULL) return 0;
    authority += 3;
    colon = strrchr(authority, ':');
    if (colon == NULL || (size_t)(colon - authority) >= sizeof host) return 0;
    memcpy(host, authority, (size_t)(colon - authority));
    host[colon - authority] = '\0';
    snprintf(port, sizeof port, "%.*s", (int)strcspn(colon + 1, "/"), colon + 1);
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &addresses) != 0) return 0;
    fd = socket(addresses->ai_family, addresses->ai_socktype, addresses->ai_protocol);
    if (fd >= 0 && connect(fd, addresses->ai_addr, addresses->ai_addrlen) == 0) {
        int n = snprintf(request, sizeof request,
                         "POST %s HTTP/1.1\r\nHost: %s:%s\r\nContent-Length: 0\r\n"
                         "Connection: close\r\n\r\n",
                         path, host, port);
        if (write(fd, request, (size_t)n) == n) {
            got = read(fd, answer, sizeof answer - 1);
            if (got > 0) {
                answer[got] = '\0';
                ok = strncmp(answer, "HTTP/1.1 200", 12) == 0;
            }
        }
    }
    if (fd >= 0) close(fd);
    freeaddrinfo(addresses);
    return ok;
}

static void sleep_ms(long ms) {
    struct timespec pause;
    pause.tv_sec = ms / 1000;
    pause.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&pause, NULL);
}

/* Regression: a key that left the JWKS stayed trusted while unknown-kid tokens kept
 * causing refetches (each merged the old keys back in). Rotate the emulator's key, spray
 * unknown kids across several short TTLs: the old key's token is refused. Rotates back at
 * the end (two committed keys), so the next run of this program starts from the same key. */
static void test_rotation_with_kid_spray(clerk_client *client, const char *api_url) {
    clerk_verifier *verifier =
        new_verifier("{\"jwks_ttl_ms\": 300, \"kid_refetch_interval_ms\": 20}", client);
    char *old_token = mint_token(emulator_pem, kid, "{\"exp\": 4102444800}", NULL);
    char *json = NULL;
    int i;
    EXPECT(clerk_verifier_verify(verifier, old_token, &json), CLERK_RESULT_OK, json,
           "\"sub\":");
    CHECK(emulator_control(api_url, "/__emulator/rotate_key"));
    /* About 1.5 s: five TTLs of 300 ms, one unknown kid every 30 ms. */
    for (i = 0; i < 50; i++) {
        char junk_kid[32];
        char *junk;
        snprintf(junk_kid, sizeof junk_kid, "junk_%d", i);
        junk = mint_token(emulator_pem, junk_kid, "{}", NULL);
        sleep_ms(30);
        clerk_verifier_verify(verifier, junk, &json);
        clerk_string_free(json);
        json = NULL;
        clerk_string_free(junk);
    }
    EXPECT(clerk_verifier_verify(verifier, old_token, &json), CLERK_RESULT_VERIFICATION, json,
           "\"reason\":\"jwk-kid-mismatch\"");
    CHECK(emulator_control(api_url, "/__emulator/rotate_key"));
    clerk_string_free(old_token);
    clerk_verifier_free(verifier);
}

static void test_verifier_lifetimes_and_failures(const char *config_template, const char *secret_key) {
    char config[512];
    char *json = NULL;
    clerk_client *client;
    clerk_verifier *verifier;
    char *token = mint_token(emulator_pem, kid, "{}", NULL);

    /* The verifier keeps its own reference to the client. */
    client = NULL;
    CHECK(clerk_client_new(config_template, &client, &json) == CLERK_RESULT_OK);
    verifier = new_verifier(NULL, client);
    clerk_client_free(client);
    EXPECT(clerk_verifier_verify(verifier, token, &json), CLERK_RESULT_OK, json, "user_test");
    clerk_verifier_free(verifier);

    /* JWKS unreachable. */
    snprintf(config, sizeof config,
             "{\"secret_key\": \"%s\", \"api_url\": \"http://127.0.0.1:1\","
             " \"retry\": {\"max_attempts\": 1}}",
             secret_key);
    CHECK(clerk_client_new(config, &client, &json) == CLERK_RESULT_OK);
    verifier = new_verifier("{}", client);
    EXPECT(clerk_verifier_verify(verifier, token, &json), CLERK_RESULT_VERIFICATION, json,
           "\"reason\":\"jwk-remote-failed-to-load\"");
    clerk_verifier_free(verifier);
    clerk_client_free(client);

    /* Out-of-range settings are configuration errors naming the setting (a skew of
     * u64::MAX used to make every expired token verify). */
    {
        static const char *const out_of_range[][2] = {
            {"{\"clock_skew_ms\": 18446744073709551615}", "clock_skew"},
            {"{\"clock_skew_ms\": 300001}", "clock_skew"},
            {"{\"jwks_ttl_ms\": 0}", "jwks_ttl"},
            {"{\"jwks_ttl_ms\": 86400001}", "jwks_ttl"},
            {"{\"kid_refetch_interval_ms\": 86400001}", "kid_refetch_interval"},
            {"{\"max_stale_ms\": 18446744073709551615}", "max_stale"},
        };
        size_t i;
        for (i = 0; i < sizeof out_of_range / sizeof out_of_range[0]; i++) {
            clerk_verifier *refused = NULL;
            EXPECT(clerk_verifier_new(out_of_range[i][0], NULL, &refused, &json),
                   CLERK_RESULT_CONFIG, json, out_of_range[i][1]);
            CHECK(refused == NULL);
        }
        verifier = new_verifier("{\"clock_skew_ms\": 300000, \"jwks_ttl_ms\": 100}", NULL);
        clerk_verifier_free(verifier);
    }

    /* No key source at all. */
    verifier = new_verifier("{}", NULL);
    EXPECT(clerk_verifier_verify(verifier, token, &json), CLERK_RESULT_VERIFICATION, json,
           "\"reason\":\"jwk-failed-to-resolve\"");
    clerk_verifier_free(verifier);
    clerk_string_free(token);
}

static void test_pem_verifier(const char *public_pem_path) {
    char *public_pem = read_file(public_pem_path);
    size_t size = strlen(public_pem) * 2 + 64;
    char *config = malloc(size);
    char *json = NULL, *token;
    clerk_verifier *verifier = NULL, *sentinel = (clerk_verifier *)&json;

    CHECK(config != NULL && json_string_field(config, size, "jwt_key", public_pem));
    verifier = new_verifier(config, NULL);
    EXPECT_VERIFY(verifier, other_pem, "{\"sub\": \"user_pem\"}", NULL, CLERK_RESULT_OK,
                  "user_pem");
    EXPECT_VERIFY(verifier, other_pem, "{}", "{\"alg\": \"RS512\"}", CLERK_RESULT_OK,
                  "user_test");
    EXPECT_VERIFY(verifier, emulator_pem, "{}", NULL, CLERK_RESULT_VERIFICATION,
                  "token-invalid-signature");
    clerk_verifier_free(verifier);

    /* From the environment: CLERK_JWT_KEY. */
    unsetenv("CLERK_SECRET_KEY");
    setenv("CLERK_JWT_KEY", public_pem, 1);
    verifier = new_verifier(NULL, NULL);
    token = mint_token(other_pem, "any", "{}", NULL);
    EXPECT(clerk_verifier_verify(verifier, token, &json), CLERK_RESULT_OK, json, "user_test");
    clerk_verifier_free(verifier);
    unsetenv("CLERK_JWT_KEY");
    verifier = new_verifier("", NULL);
    EXPECT(clerk_verifier_verify(verifier, token, &json), CLERK_RESULT_VERIFICATION, json,
           "jwk-failed-to-resolve");
    clerk_verifier_free(verifier);

    /* Misuse matrix of clerk_verifier_new and clerk_verifier_verify. */
    verifier = sentinel;
    EXPECT(clerk_verifier_new("{\"jwt_key\": \"not a key\"}", NULL, &verifier, &json),
           CLERK_RESULT_CONFIG, json, "\"kind\":\"config\"");
    EXPECT(clerk_verifier_new("{\"jwt_kee\": \"x\"}", NULL, &verifier, &json),
           CLERK_RESULT_INVALID_JSON, json, "jwt_kee");
    /* An unknown key is named beside the keys accepted (the core's VerifierConfig). */
    EXPECT(clerk_verifier_new("{\"clock_skew\": 5}", NULL, &verifier, &json),
           CLERK_RESULT_INVALID_JSON, json, "unknown field `clock_skew`, expected one of");
    EXPECT(clerk_verifier_new("{\"clock_skew\": 5}", NULL, &verifier, &json),
           CLERK_RESULT_INVALID_JSON, json, "`clock_skew_ms`");
    EXPECT(clerk_verifier_new("{\"clock_skew_ms\": \"5s\"}", NULL, &verifier, &json),
           CLERK_RESULT_INVALID_JSON, json, "`clock_skew_ms`");
    /* A private key where the public key belongs says so. */
    EXPECT(clerk_verifier_new("{\"jwt_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIB\\n-----END "
                              "PRIVATE KEY-----\"}",
                              NULL, &verifier, &json),
           CLERK_RESULT_CONFIG, json, "expects a PUBLIC key");
    EXPECT(clerk_verifier_new("{\"clock_skew_ms\": \"5s\"}", NULL, &verifier, &json),
           CLERK_RESULT_INVALID_JSON, json, "invalid_json");
    EXPECT(clerk_verifier_new("{\"authorized_parties\": \"https://a\"}", NULL, &verifier, &json),
           CLERK_RESULT_INVALID_JSON, json, "invalid_json");
    EXPECT(clerk_verifier_new("{", NULL, &verifier, &json), CLERK_RESULT_INVALID_JSON, json,
           "config_json");
    EXPECT(clerk_verifier_new(BAD_UTF8, NULL, &verifier, &json), CLERK_RESULT_INVALID_UTF8, json,
           "config_json");
    EXPECT(clerk_verifier_new(config, NULL, NULL, &json), CLERK_RESULT_NULL_PARAMETER, json,
           "verifier_out");
    CHECK(clerk_verifier_new(config, NULL, &verifier, NULL) == CLERK_RESULT_NULL_PARAMETER);
    CHECK(verifier == sentinel);

    verifier = new_verifier(config, NULL);
    EXPECT(clerk_verifier_verify(verifier, "not-a-jwt", &json), CLERK_RESULT_VERIFICATION, json,
           "\"reason\":\"token-invalid\"");
    EXPECT(clerk_verifier_verify(verifier, "", &json), CLERK_RESULT_VERIFICATION, json,
           "token-invalid");
    EXPECT(clerk_verifier_verify(verifier, BAD_UTF8, &json), CLERK_RESULT_INVALID_UTF8, json,
           "`token`");
    EXPECT(clerk_verifier_verify(verifier, NULL, &json), CLERK_RESULT_NULL_PARAMETER, json,
           "`token`");
    EXPECT(clerk_verifier_verify(NULL, token, &json), CLERK_RESULT_NULL_PARAMETER, json,
           "`verifier`");
    CHECK(clerk_verifier_verify(verifier, token, NULL) == CLERK_RESULT_NULL_PARAMETER);
    clerk_verifier_free(verifier);
    clerk_verifier_free(NULL);
    clerk_string_free(token);
    free(config);
    free(public_pem);
}

static void test_authenticate_request(clerk_client *client) {
    clerk_verifier *verifier = new_verifier(NULL, client);
    char *token = mint_token(emulator_pem, kid, "{\"sub\": \"user_req\"}", NULL);
    char request[4096];
    char *json = NULL;
    long now = (long)time(NULL);
    char expired_claims[128];
    char *expired;

    snprintf(request, sizeof request,
             "{\"method\": \"GET\", \"headers\": {\"authorization\": \"Bearer %s\"}}", token);
    EXPECT(clerk_authenticate_request(verifier, request, &json), CLERK_RESULT_OK, json,
           "\"status\":\"signed-in\"");
    EXPECT(clerk_authenticate_request(verifier, request, &json), CLERK_RESULT_OK, json,
           "user_req");
    /* Cookie flow: __session with __client_uat. */
    snprintf(request, sizeof request,
             "{\"headers\": {\"Cookie\": \"__client_uat=%ld; __session=%s\"}}", now - 60, token);
    EXPECT(clerk_authenticate_request(verifier, request, &json), CLERK_RESULT_OK, json,
           "\"status\":\"signed-in\"");
    EXPECT(clerk_authenticate_request(verifier, "{\"method\": \"GET\", \"headers\": {}}", &json),
           CLERK_RESULT_OK, json, "\"reason\":\"session-token-and-uat-missing\"");
    snprintf(expired_claims, sizeof expired_claims, "{\"exp\": %ld, \"iat\": %ld, \"nbf\": %ld}",
             now - 60, now - 120, now - 120);
    expired = mint_token(emulator_pem, kid, expired_claims, NULL);
    snprintf(request, sizeof request,
             "{\"method\": \"POST\", \"headers\": {\"Authorization\": \"Bearer %s\"}}", expired);
    EXPECT(clerk_authenticate_request(verifier, request, &json), CLERK_RESULT_OK, json,
           "\"reason\":\"session-token-expired-refresh-non-eligible-non-get\"");
    /* A page load with a client but no session: a handshake redirect the host can act on. */
    EXPECT(clerk_authenticate_request(
               verifier,
               "{\"url\": \"https://app.example.test/dash\", \"headers\": {\"Sec-Fetch-Dest\":"
               " \"document\", \"Cookie\": \"__client_uat=5\"}, \"options\": {\"publishable_key\":"
               " \"pk_live_Y2xlcmsuZXhhbXBsZS50ZXN0JA\"}}",
               &json),
           CLERK_RESULT_OK, json,
           "\"location\":\"https://clerk.example.test/v1/client/handshake?redirect_url="
           "https%3A%2F%2Fapp.example.test%2Fdash&");
    /* Authorization checks on the verified session. */
    snprintf(request, sizeof request,
             "{\"headers\": {\"Authorization\": \"Bearer %s\"}, \"has\": [{\"role\":"
             " \"org:admin\"}, {\"reverification\": \"lax\"}]}",
             token);
    EXPECT(clerk_authenticate_request(verifier, request, &json), CLERK_RESULT_OK, json,
           "\"has\":[");
    EXPECT(clerk_authenticate_request(verifier, "{\"options\": {\"publishableKey\": \"x\"}}",
                                      &json),
           CLERK_RESULT_INVALID_JSON, json, "publishableKey");
    EXPECT(clerk_authenticate_request(verifier, "{\"options\": {\"is_satellite\": true}}",
                                      &json),
           CLERK_RESULT_CONFIG, json, "domain");
    /* Options: another authorized party. */
    snprintf(request, sizeof request,
             "{\"headers\": {\"Authorization\": \"Bearer %s\"}, \"options\":"
             " {\"authorized_parties\": [\"https://other.example\"],"
             " \"accepts_token\": [\"session_token\"]}}",
             token);
    EXPECT(clerk_authenticate_request(verifier, request, &json), CLERK_RESULT_OK, json,
           "token-invalid-authorized-parties");

    EXPECT(clerk_authenticate_request(verifier, "{", &json), CLERK_RESULT_INVALID_JSON, json,
           "request_json");
    EXPECT(clerk_authenticate_request(verifier, "[]", &json), CLERK_RESULT_INVALID_JSON, json,
           "expected a JSON object");
    EXPECT(clerk_authenticate_request(verifier, "{\"headers\": [1]}", &json),
           CLERK_RESULT_INVALID_JSON, json, "request_json");
    EXPECT(clerk_authenticate_request(verifier, "{\"options\": 3}", &json),
           CLERK_RESULT_INVALID_JSON, json, "options");
    EXPECT(clerk_authenticate_request(verifier, "{\"options\": {\"accepts_token\": [\"x\"]}}",
                                      &json),
           CLERK_RESULT_INVALID_JSON, json, "options");
    EXPECT(clerk_authenticate_request(verifier, "{\"header\": {}}", &json),
           CLERK_RESULT_INVALID_JSON, json, "`header`");
    EXPECT(clerk_authenticate_request(verifier, BAD_UTF8, &json), CLERK_RESULT_INVALID_UTF8, json,
           "request_json");
    EXPECT(clerk_authenticate_request(verifier, NULL, &json), CLERK_RESULT_NULL_PARAMETER, json,
           "request_json");
    EXPECT(clerk_authenticate_request(NULL, "{}", &json), CLERK_RESULT_NULL_PARAMETER, json,
           "`verifier`");
    CHECK(clerk_authenticate_request(verifier, "{}", NULL) == CLERK_RESULT_NULL_PARAMETER);
    clerk_string_free(expired);
    clerk_string_free(token);
    clerk_verifier_free(verifier);
}

static void test_machine_tokens(clerk_client *client) {
    clerk_verifier *verifier = new_verifier(NULL, client);
    char *json = NULL;
    /* A JWT M2M token (sub mch_..., M2M category), verified locally. */
    char *m2m = mint_token(emulator_pem, kid, "{\"sub\": \"mch_worker\", \"sid\": null}",
                           "{\"cat\": \"cl_B7d4PD333AAA\"}");
    char *session = mint_token(emulator_pem, kid, "{}", NULL);

    EXPECT(clerk_verifier_verify_machine_token(verifier, m2m, &json), CLERK_RESULT_OK, json,
           "\"token_type\":\"m2m_token\"");
    EXPECT(clerk_verifier_verify_machine_token(verifier, m2m, &json), CLERK_RESULT_OK, json,
           "mch_worker");
    /* A session token is not a machine token. */
    EXPECT(clerk_verifier_verify_machine_token(verifier, session, &json),
           CLERK_RESULT_VERIFICATION, json, "\"reason\":\"token-invalid\"");
    /* An opaque API key goes to the Backend API, which does not know it. */
    EXPECT(clerk_verifier_verify_machine_token(verifier, "ak_not_a_real_key", &json),
           CLERK_RESULT_VERIFICATION, json, "\"reason\":");
    EXPECT(clerk_verifier_verify_machine_token(verifier, BAD_UTF8, &json),
           CLERK_RESULT_INVALID_UTF8, json, "`token`");
    EXPECT(clerk_verifier_verify_machine_token(verifier, NULL, &json),
           CLERK_RESULT_NULL_PARAMETER, json, "`token`");
    EXPECT(clerk_verifier_verify_machine_token(NULL, m2m, &json), CLERK_RESULT_NULL_PARAMETER,
           json, "`verifier`");
    CHECK(clerk_verifier_verify_machine_token(verifier, m2m, NULL) ==
          CLERK_RESULT_NULL_PARAMETER);
    clerk_string_free(m2m);
    clerk_string_free(session);
    clerk_verifier_free(verifier);
}

static void test_webhooks(void) {
    static const char *secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    static const char *body = "{\"type\": \"user.created\", \"data\": {\"id\": \"user_w\"},"
                              " \"object\": \"event\", \"timestamp\": 1700000000000}";
    char *signature = NULL, *json = NULL;
    char headers[512];
    long now = (long)time(NULL);
    size_t body_len = strlen(body);

    CHECK(clerk_testing_sign_webhook(secret, "msg_1", now, (const uint8_t *)body, body_len,
                                     &signature, &json) == CLERK_RESULT_OK);
    CHECK(json == NULL && signature != NULL && strncmp(signature, "v1,", 3) == 0);
    snprintf(headers, sizeof headers,
             "{\"svix-id\": \"msg_1\", \"svix-timestamp\": \"%ld\", \"svix-signature\": \"%s\"}",
             now, signature);
    EXPECT(clerk_webhook_verify(secret, headers, (const uint8_t *)body, body_len, &json),
           CLERK_RESULT_OK, json, "\"type\":\"user.created\"");
    EXPECT(clerk_webhook_verify(secret, headers, (const uint8_t *)body, body_len, &json),
           CLERK_RESULT_OK, json, "\"message_id\":\"msg_1\"");
    /* Tampered body. */
    EXPECT(clerk_webhook_verify(secret, headers, (const uint8_t *)body, body_len - 1, &json),
           CLERK_RESULT_WEBHOOK, json, "\"reason\":\"no-matching-signature\"");
    /* Header pairs, several signatures (one good). */
    snprintf(headers, sizeof headers,
             "[[\"Svix-Id\", \"msg_1\"], [\"Svix-Timestamp\", \"%ld\"],"
             " [\"Svix-Signature\", \"v1,bm9wZQ== %s\"]]",
             now, signature);
    EXPECT(clerk_webhook_verify(secret, headers, (const uint8_t *)body, body_len, &json),
           CLERK_RESULT_OK, json, "user_w");
    snprintf(headers, sizeof headers,
             "{\"svix-id\": \"msg_1\", \"svix-timestamp\": \"%ld\", \"svix-signature\": \"%s\"}",
             now - 3600, signature);
    EXPECT(clerk_webhook_verify(secret, headers, (const uint8_t *)body, body_len, &json),
           CLERK_RESULT_WEBHOOK, json, "\"reason\":\"timestamp-too-old\"");
    EXPECT(clerk_webhook_verify(secret, "{\"svix-id\": \"msg_1\"}", (const uint8_t *)body,
                                body_len, &json),
           CLERK_RESULT_WEBHOOK, json, "\"reason\":\"missing-headers\"");
    EXPECT(clerk_webhook_verify("whsec_!!!", headers, (const uint8_t *)body, body_len, &json),
           CLERK_RESULT_WEBHOOK, json, "\"reason\":\"invalid-secret\"");
    EXPECT(clerk_webhook_verify(secret, "{\"svix-id\": 1}", (const uint8_t *)body, body_len,
                                &json),
           CLERK_RESULT_INVALID_JSON, json, "headers_json");
    EXPECT(clerk_webhook_verify(secret, "{", (const uint8_t *)body, body_len, &json),
           CLERK_RESULT_INVALID_JSON, json, "headers_json");
    EXPECT(clerk_webhook_verify(secret, headers, NULL, 10, &json), CLERK_RESULT_NULL_PARAMETER,
           json, "body_ptr");
    EXPECT(clerk_webhook_verify(NULL, headers, (const uint8_t *)body, body_len, &json),
           CLERK_RESULT_NULL_PARAMETER, json, "`secret`");
    EXPECT(clerk_webhook_verify(secret, NULL, (const uint8_t *)body, body_len, &json),
           CLERK_RESULT_NULL_PARAMETER, json, "headers_json");
    EXPECT(clerk_webhook_verify(BAD_UTF8, headers, (const uint8_t *)body, body_len, &json),
           CLERK_RESULT_INVALID_UTF8, json, "`secret`");
    CHECK(clerk_webhook_verify(secret, headers, (const uint8_t *)body, body_len, NULL) ==
          CLERK_RESULT_NULL_PARAMETER);

    EXPECT(clerk_testing_sign_webhook("whsec_!!!", "m", now, (const uint8_t *)body, body_len,
                                      &signature, &json),
           CLERK_RESULT_WEBHOOK, json, "invalid-secret");
    EXPECT(clerk_testing_sign_webhook(secret, "m", now, (const uint8_t *)body, body_len, NULL,
                                      &json),
           CLERK_RESULT_NULL_PARAMETER, json, "signature_out");
    EXPECT(clerk_testing_sign_webhook(secret, NULL, now, (const uint8_t *)body, body_len,
                                      &signature, &json),
           CLERK_RESULT_NULL_PARAMETER, json, "message_id");
    clerk_string_free(signature);
}

static void test_minting_misuse(void) {
    char *token = NULL, *json = NULL;
    char *sentinel = (char *)&token;
    token = sentinel;
    EXPECT(clerk_testing_mint_session_token("not a pem", "kid", NULL, NULL, &token, &json),
           CLERK_RESULT_CONFIG, json, "\"kind\":\"config\"");
    EXPECT(clerk_testing_mint_session_token(other_pem, "kid", "[1]", NULL, &token, &json),
           CLERK_RESULT_INVALID_JSON, json, "claims_json");
    EXPECT(clerk_testing_mint_session_token(other_pem, "kid", NULL, "{", &token, &json),
           CLERK_RESULT_INVALID_JSON, json, "header_json");
    EXPECT(clerk_testing_mint_session_token(other_pem, BAD_UTF8, NULL, NULL, &token, &json),
           CLERK_RESULT_INVALID_UTF8, json, "`kid`");
    EXPECT(clerk_testing_mint_session_token(NULL, "kid", NULL, NULL, &token, &json),
           CLERK_RESULT_NULL_PARAMETER, json, "private_key_pem");
    EXPECT(clerk_testing_mint_session_token(other_pem, "kid", NULL, NULL, NULL, &json),
           CLERK_RESULT_NULL_PARAMETER, json, "token_out");
    CHECK(clerk_testing_mint_session_token(other_pem, "kid", NULL, NULL, &token, NULL) ==
          CLERK_RESULT_NULL_PARAMETER);
    CHECK(token == sentinel);
}

int main(void) {
    const char *api_url = required_env("CLERK_TEST_API_URL");
    const char *secret_key = required_env("CLERK_TEST_SECRET_KEY");
    const char *fixtures = required_env("CLERK_TEST_FIXTURES");
    char config[1024], path[1024];
    char *json = NULL;
    clerk_client *client = NULL;

    kid = required_env("CLERK_TEST_KID");
    emulator_pem = read_file(required_env("CLERK_TEST_SIGNING_KEY"));
    snprintf(path, sizeof path, "%s/other_signing_key.pem", fixtures);
    other_pem = read_file(path);
    snprintf(config, sizeof config,
             "{\"api_url\": \"%s\", \"secret_key\": \"%s\", \"retry\": {\"max_attempts\": 1}}",
             api_url, secret_key);
    CHECK(clerk_client_new(config, &client, &json) == CLERK_RESULT_OK);

    test_jwks_verifier(client);
    test_verifier_lifetimes_and_failures(config, secret_key);
    snprintf(path, sizeof path, "%s/other_signing_key.pub.pem", fixtures);
    test_pem_verifier(path);
    test_authenticate_request(client);
    test_machine_tokens(client);
    test_webhooks();
    test_minting_misuse();
    test_rotation_with_kid_spray(client, api_url);

    clerk_client_free(client);
    free(emulator_pem);
    free(other_pem);
    return check_summary("test_verify");
}
