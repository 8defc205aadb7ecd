/*
 * Benchmark (not a test): session token verification through the C ABI against a raw
 * RSA-2048 PKCS#1 v1.5 / SHA-256 verification with OpenSSL's libcrypto, plus the per-call
 * overhead of crossing the ABI (clerk_version).
 *
 * verify_bench PRIVATE_KEY_PEM PUBLIC_KEY_PEM [SECONDS_PER_MEASUREMENT]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "clerk.h"

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *read_file(const char *path) {
    FILE *file = fopen(path, "rb");
    char *text;
    long size;
    if (file == NULL) {
        perror(path);
        exit(2);
    }
    fseek(file, 0, SEEK_END);
    size = ftell(file);
    fseek(file, 0, SEEK_SET);
    text = malloc((size_t)size + 1);
    if (text == NULL || fread(text, 1, (size_t)size, file) != (size_t)size) exit(2);
    text[size] = '\0';
    fclose(file);
    return text;
}

static void die(const char *what, clerk_result rc, char *json) {
    fprintf(stderr, "%s: %s %s\n", what, clerk_result_name(rc), json != NULL ? json : "");
    exit(1);
}

/* JSON-escapes a PEM into {"jwt_key": "..."}. */
static char *pem_config(const char *pem) {
    size_t size = strlen(pem) * 2 + 32, n;
    char *out = malloc(size);
    if (out == NULL) exit(2);
    n = (size_t)snprintf(out, size, "{\"jwt_key\": \"");
    for (; *pem != '\0'; pem++) {
        if (*pem == '\n') {
            out[n++] = '\\';
            out[n++] = 'n';
        } else if (*pem != '\r') {
            out[n++] = *pem;
        }
    }
    memcpy(out + n, "\"}", 3);
    return out;
}

/* Decodes base64url (no padding) into `out`; returns the length. */
static size_t base64url_decode(const char *in, size_t len, unsigned char *out) {
    uint32_t buffer = 0;
    int bits = 0;
    size_t n = 0, i;
    for (i = 0; i < len; i++) {
        char c = in[i];
        int v;
        if (c >= 'A' && c <= 'Z') v = c - 'A';
        else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
        else if (c >= '0' && c <= '9') v = c - '0' + 52;
        else if (c == '-') v = 62;
        else if (c == '_') v = 63;
        else continue;
        buffer = (buffer << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)((buffer >> bits) & 0xff);
        }
    }
    return n;
}

int main(int argc, char **argv) {
    double seconds = argc > 3 ? atof(argv[3]) : 2.0;
    char *private_pem, *public_pem, *config, *token = NULL, *json = NULL;
    clerk_verifier *verifier = NULL;
    clerk_result rc;
    double start, elapsed, clerk_rate, openssl_rate, version_ns;
    long iterations, i;
    const char *last_dot;
    unsigned char signature[512];
    size_t signature_len, signed_len;
    EVP_PKEY *key;
    FILE *key_file;
    volatile uintptr_t sink = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: %s PRIVATE_KEY_PEM PUBLIC_KEY_PEM [SECONDS]\n", argv[0]);
        return 2;
    }
    private_pem = read_file(argv[1]);
    public_pem = read_file(argv[2]);

    /* A typical v2 session token: organization, permissions, features, 1 hour lifetime. */
    rc = clerk_testing_mint_session_token(
        private_pem, "ins_bench",
        "{\"sub\": \"user_2abcdefghijklmnopqrstuvwxyz\", \"sid\": \"sess_2abcdefghijklmnopqrstuvw\","
        " \"azp\": \"https://app.example.com\", \"iss\": \"https://clerk.example.com\","
        " \"exp\": 4102444800, \"o\": {\"id\": \"org_2abcdefghijklmnopqrstuvwxyz\","
        " \"rol\": \"admin\", \"slg\": \"acme\", \"per\": \"read,manage\", \"fpm\": \"3,2\"},"
        " \"fea\": \"o:dashboard,o:billing\", \"pla\": \"o:pro\", \"fva\": [5, -1]}",
        NULL, &token, &json);
    if (rc != CLERK_RESULT_OK) die("mint", rc, json);
    config = pem_config(public_pem);
    rc = clerk_verifier_new(config, NULL, &verifier, &json);
    if (rc != CLERK_RESULT_OK) die("clerk_verifier_new", rc, json);
    rc = clerk_verifier_verify(verifier, token, &json);
    if (rc != CLERK_RESULT_OK) die("clerk_verifier_verify", rc, json);
    clerk_string_free(json);
    printf("token: %zu bytes\n", strlen(token));

    /* libclerk: the whole verification through the C ABI, claims JSON included. */
    iterations = 0;
    start = now_seconds();
    do {
        for (i = 0; i < 256; i++) {
            json = NULL;
            rc = clerk_verifier_verify(verifier, token, &json);
            if (rc != CLERK_RESULT_OK) die("verify", rc, json);
            clerk_string_free(json);
        }
        iterations += 256;
        elapsed = now_seconds() - start;
    } while (elapsed < seconds);
    clerk_rate = (double)iterations / elapsed;

    /* OpenSSL: the RSA verification alone (SHA-256 digest + PKCS#1 v1.5) of the same token. */
    key_file = fopen(argv[2], "r");
    key = key_file != NULL ? PEM_read_PUBKEY(key_file, NULL, NULL, NULL) : NULL;
    if (key == NULL) {
        fprintf(stderr, "cannot read the public key with OpenSSL\n");
        return 1;
    }
    fclose(key_file);
    last_dot = strrchr(token, '.');
    signed_len = (size_t)(last_dot - token);
    signature_len = base64url_decode(last_dot + 1, strlen(last_dot + 1), signature);
    iterations = 0;
    start = now_seconds();
    do {
        for (i = 0; i < 256; i++) {
            EVP_MD_CTX *context = EVP_MD_CTX_new();
            int ok = context != NULL &&
                     EVP_DigestVerifyInit(context, NULL, EVP_sha256(), NULL, key) == 1 &&
                     EVP_DigestVerify(context, signature, signature_len,
                                      (const unsigned char *)token, signed_len) == 1;
            EVP_MD_CTX_free(context);
            if (!ok) {
                fprintf(stderr, "OpenSSL verification failed\n");
                return 1;
            }
        }
        iterations += 256;
        elapsed = now_seconds() - start;
    } while (elapsed < seconds);
    openssl_rate = (double)iterations / elapsed;

    /* ABI crossing: a call that does nothing but return a static string. */
    iterations = 20 * 1000 * 1000;
    start = now_seconds();
    for (i = 0; i < iterations; i++) sink += (uintptr_t)clerk_version();
    version_ns = (now_seconds() - start) * 1e9 / (double)iterations;

    printf("libclerk clerk_verifier_verify: %.0f tokens/s (%.1f us/token)\n", clerk_rate,
           1e6 / clerk_rate);
    printf("OpenSSL raw RSA-2048 verify:    %.0f tokens/s (%.1f us/token)\n", openssl_rate,
           1e6 / openssl_rate);
    printf("ratio libclerk/OpenSSL: %.2f (goal >= 0.90)\n", clerk_rate / openssl_rate);
    printf("clerk_version call overhead: %.2f ns/call\n", version_ns);

    EVP_PKEY_free(key);
    clerk_string_free(token);
    clerk_verifier_free(verifier);
    free(config);
    free(private_pem);
    free(public_pem);
    return sink == 0 ? 1 : 0;
}
