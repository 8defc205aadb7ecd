/* Eight threads share one client and one verifier: API calls, errors and verifications
 * run concurrently while a ninth thread rotates the emulator's signing key every 300 ms
 * (POST /__emulator/rotate_key over a plain socket). Every result must be what a single
 * thread would get:
 * - API calls return the data written (a user created, read back, updated);
 * - a session token the emulator signed with its current key verifies, unless the key
 *   rotated between the token and the verification (then either answer is allowed: the
 *   verifier may not have refreshed yet);
 * - after each rotation, once the verifier has seen the new key, a token of the previous
 *   key is refused (jwk-kid-mismatch).
 * Run plainly, under valgrind memcheck, helgrind and ASan by tests/c/run.sh. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "json_scan.h"

#define THREADS 8
/* Rounds per worker: at least MIN_ROUNDS, then on until MIN_ROTATIONS rotations, at most
 * MAX_ROUNDS (bounded whatever the speed: valgrind runs this 20 to 50 times slower). */
#define MIN_ROUNDS 10
#define MIN_ROTATIONS 3
#define MAX_ROUNDS 200
#define MAX_ROTATIONS 100
#define ROTATE_EVERY_MS 300
/* API calls and verifications per round, when nothing needs a second try. */
#define CHECKS_PER_ROUND 7

struct shared {
    clerk_client *client;
    clerk_verifier *verifier;
    int port;
    /* The key generation, bumped by the rotator under the write lock around the rotation:
     * equal before and after means no rotation happened in between. */
    pthread_rwlock_t keys;
    int generation;
    pthread_mutex_t counts;
    int rotations;
    int old_key_refused;
    char kid[64]; /* the emulator's current kid, after the last rotation */
    int rotator_wrong;
    int done;
};

struct outcome {
    int ok;
    int wrong;
    int rounds;
    int rotated_refused;  /* token's key rotated out meanwhile, refused */
    int rotated_accepted; /* token's key rotated out meanwhile, accepted before a refresh */
    int retried;          /* current key refused once (a fetch raced the rotation), then ok */
};

static int generation(struct shared *shared) {
    int g;
    pthread_rwlock_rdlock(&shared->keys);
    g = shared->generation;
    pthread_rwlock_unlock(&shared->keys);
    return g;
}

static int read_int(struct shared *shared, const int *field) {
    int value;
    pthread_mutex_lock(&shared->counts);
    value = *field;
    pthread_mutex_unlock(&shared->counts);
    return value;
}

static void tally(struct outcome *outcome, int ok, const char *what, const char *json) {
    if (ok) {
        outcome->ok++;
    } else {
        outcome->wrong++;
        fprintf(stderr, "thread check failed: %s: %.300s\n", what, json != NULL ? json : "(NULL)");
    }
}

/* POST /__emulator/rotate_key on 127.0.0.1:port; 0 on a 200 answer, whose kid is
 * copied to `kid` (when not NULL, 64 bytes). */
static int rotate_key(int port, char *kid) {
    char answer[512];
    const char *request = "POST /__emulator/rotate_key HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Content-Length: 0\r\nConnection: close\r\n\r\n";
    struct sockaddr_in address;
    size_t got = 0;
    ssize_t n;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0 ||
        write(fd, request, strlen(request)) != (ssize_t)strlen(request)) {
        close(fd);
        return -1;
    }
    while (got + 1 < sizeof answer && (n = read(fd, answer + got, sizeof answer - 1 - got)) > 0) {
        got += (size_t)n;
    }
    answer[got] = '\0';
    close(fd);
    if (strncmp(answer, "HTTP/1.1 200", 12) != 0) return -1;
    if (kid != NULL && !string_field(answer, "kid", kid, 64)) return -1;
    return 0;
}

/* A session token for `user_id` signed by the emulator's current key (heap; NULL on
 * failure, with the reason on stderr). Two API calls. */
static char *session_token(const clerk_client *client, const char *user_id) {
    char params[256], session_id[64], *json = NULL, *token = NULL;
    const char *jwt;
    snprintf(params, sizeof params, "{\"user_id\": \"%s\"}", user_id);
    if (clerk_client_call(client, "sessions.create", params, &json) != CLERK_RESULT_OK ||
        !string_field(json, "id", session_id, sizeof session_id)) {
        fprintf(stderr, "sessions.create failed: %s\n", json != NULL ? json : "(NULL)");
        clerk_string_free(json);
        return NULL;
    }
    clerk_string_free(json);
    json = NULL;
    snprintf(params, sizeof params, "{\"session_id\": \"%s\"}", session_id);
    if (clerk_client_call(client, "sessions.create_token", params, &json) != CLERK_RESULT_OK ||
        (jwt = strstr(json, "\"jwt\"")) == NULL) {
        fprintf(stderr, "sessions.create_token failed: %s\n", json != NULL ? json : "(NULL)");
        clerk_string_free(json);
        return NULL;
    }
    {
        char value[4096];
        if (string_field(jwt, "jwt", value, sizeof value)) {
            token = malloc(strlen(value) + 1);
            if (token != NULL) memcpy(token, value, strlen(value) + 1);
        }
    }
    clerk_string_free(json);
    return token;
}

static int verifies_as(const clerk_verifier *verifier, const char *token, const char *sub,
                       char **json) {
    char pattern[128];
    clerk_result rc = clerk_verifier_verify(verifier, token, json);
    snprintf(pattern, sizeof pattern, "\"sub\":\"%s\"", sub);
    if (rc == CLERK_RESULT_OK) return *json != NULL && strstr(*json, pattern) != NULL ? 1 : -1;
    if (rc == CLERK_RESULT_VERIFICATION && strstr(*json, "jwk-kid-mismatch") != NULL) return 0;
    return -1;
}

static void *rotator(void *argument) {
    struct shared *shared = argument;
    char user_id[64], *json = NULL;
    struct timespec pause = {0, ROTATE_EVERY_MS * 1000000L};
    const char *needle;
    char params[128];
    /* tests/c/run.sh runs this program several times against one emulator: the process
     * id keeps each run's email addresses apart. */
    snprintf(params, sizeof params, "{\"email_address\": [\"rotator-%ld@example.com\"]}",
             (long)getpid());
    if (clerk_client_call(shared->client, "users.create", params, &json) != CLERK_RESULT_OK ||
        (needle = strstr(json, "\"id\":\"user_")) == NULL ||
        !string_field(needle, "id", user_id, sizeof user_id)) {
        fprintf(stderr, "rotator: cannot create its user: %s\n", json != NULL ? json : "(NULL)");
        clerk_string_free(json);
        pthread_mutex_lock(&shared->counts);
        shared->rotator_wrong++;
        pthread_mutex_unlock(&shared->counts);
        return NULL;
    }
    clerk_string_free(json);
    json = NULL;
    for (;;) {
        char *old_token, *new_token;
        int verdict, wrong = 0, refused = 0;
        nanosleep(&pause, NULL);
        pthread_mutex_lock(&shared->counts);
        if (shared->done || shared->rotations >= MAX_ROTATIONS) {
            pthread_mutex_unlock(&shared->counts);
            break;
        }
        pthread_mutex_unlock(&shared->counts);

        old_token = session_token(shared->client, user_id);
        pthread_rwlock_wrlock(&shared->keys);
        if (rotate_key(shared->port, shared->kid) != 0) wrong++;
        shared->generation++;
        pthread_rwlock_unlock(&shared->keys);
        new_token = session_token(shared->client, user_id);
        if (old_token == NULL || new_token == NULL) wrong++;
        if (old_token != NULL && new_token != NULL) {
            /* The new kid is unknown to the cache: a miss refetches (interval 0). A fetch
             * begun before the rotation may answer the first try; the second sees it. */
            verdict = verifies_as(shared->verifier, new_token, user_id, &json);
            clerk_string_free(json);
            json = NULL;
            if (verdict == 0) {
                verdict = verifies_as(shared->verifier, new_token, user_id, &json);
                clerk_string_free(json);
                json = NULL;
            }
            if (verdict != 1) {
                fprintf(stderr, "rotator: new key not picked up\n");
                wrong++;
            }
            /* The cache holds the set fetched after the rotation: the old key is gone. */
            verdict = verifies_as(shared->verifier, old_token, user_id, &json);
            if (verdict == 0) {
                refused = 1;
            } else {
                fprintf(stderr, "rotator: rotated-out key not refused: %.300s\n",
                        json != NULL ? json : "(NULL)");
                wrong++;
            }
            clerk_string_free(json);
            json = NULL;
        }
        free(old_token);
        free(new_token);
        pthread_mutex_lock(&shared->counts);
        shared->rotations++;
        shared->old_key_refused += refused;
        shared->rotator_wrong += wrong;
        pthread_mutex_unlock(&shared->counts);
    }
    return NULL;
}

static void *worker(void *argument) {
    struct shared *shared = argument;
    struct outcome *outcome = calloc(1, sizeof *outcome);
    int round;
    unsigned long self = (unsigned long)pthread_self();
    if (outcome == NULL) return NULL;
    for (round = 0; round < MAX_ROUNDS; round++) {
        char *json = NULL, params[256], user_id[64], email[96], *token;
        const char *needle;
        int before, verdict;
        clerk_result rc;
        if (round >= MIN_ROUNDS && read_int(shared, &shared->rotations) >= MIN_ROTATIONS) break;
        outcome->rounds++;

        rc = clerk_client_call(shared->client, "GetUserList", "{\"limit\": 2}", &json);
        tally(outcome, rc == CLERK_RESULT_OK && json != NULL && json[0] == '[', "list", json);
        clerk_string_free(json);
        json = NULL;

        rc = clerk_client_call(shared->client, "GetUser", "{\"user_id\": \"user_missing\"}", &json);
        tally(outcome, rc == CLERK_RESULT_API && strstr(json, "\"status\":404") != NULL,
              "missing user", json);
        clerk_string_free(json);
        json = NULL;

        /* Create, read back, update: the data written comes back. */
        snprintf(email, sizeof email, "p%ld-t%lx-r%d@example.com", (long)getpid(), self, round);
        snprintf(params, sizeof params, "{\"email_address\": [\"%s\"]}", email);
        rc = clerk_client_call(shared->client, "users.create", params, &json);
        needle = json != NULL ? strstr(json, "\"id\":\"user_") : NULL;
        tally(outcome,
              rc == CLERK_RESULT_OK && needle != NULL &&
                  string_field(needle, "id", user_id, sizeof user_id) && strstr(json, email),
              "create", json);
        clerk_string_free(json);
        json = NULL;
        if (rc != CLERK_RESULT_OK) continue;
        snprintf(params, sizeof params, "{\"user_id\": \"%s\", \"first_name\": \"R%d\"}", user_id,
                 round);
        rc = clerk_client_call(shared->client, "users.update", params, &json);
        tally(outcome, rc == CLERK_RESULT_OK && strstr(json, user_id) != NULL,
              "update", json);
        {
            char name[32];
            snprintf(name, sizeof name, "\"first_name\":\"R%d\"", round);
            tally(outcome, json != NULL && strstr(json, name) != NULL, "update name", json);
        }
        clerk_string_free(json);
        json = NULL;

        /* A token of the current key, verified. */
        before = generation(shared);
        token = session_token(shared->client, user_id);
        if (token == NULL) {
            tally(outcome, 0, "session token", NULL);
            continue;
        }
        verdict = verifies_as(shared->verifier, token, user_id, &json);
        if (verdict == 1) {
            if (generation(shared) == before) outcome->ok++;
            else outcome->rotated_accepted++;
        } else if (verdict == 0 && generation(shared) != before) {
            outcome->rotated_refused++;
        } else if (verdict == 0) {
            /* Still the current key: a fetch begun before an earlier rotation answered.
             * Every fetch from now on begins after it: the next try must verify. */
            clerk_string_free(json);
            json = NULL;
            verdict = verifies_as(shared->verifier, token, user_id, &json);
            if (verdict == 1) outcome->retried++;
            else if (verdict == 0 && generation(shared) != before) outcome->rotated_refused++;
            else tally(outcome, 0, "current-key token refused twice", json);
        } else {
            tally(outcome, 0, "verify", json);
        }
        clerk_string_free(json);
        json = NULL;
        free(token);

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
    const char *kid = required_env("CLERK_TEST_KID");
    const char *port_text = strrchr(api_url, ':');
    char config[1024];
    char *json = NULL;
    struct shared shared;
    pthread_t threads[THREADS], rotator_thread;
    int i, total_ok = 0, total_wrong = 0, rounds = 0, rotated_refused = 0, rotated_accepted = 0;
    int retried = 0;

    memset(&shared, 0, sizeof shared);
    snprintf(shared.kid, sizeof shared.kid, "%s", kid);
    shared.port = port_text != NULL ? atoi(port_text + 1) : 0;
    CHECK(shared.port > 0);
    pthread_rwlock_init(&shared.keys, NULL);
    pthread_mutex_init(&shared.counts, NULL);
    snprintf(config, sizeof config,
             "{\"api_url\": \"%s\", \"secret_key\": \"%s\", \"retry\": {\"max_attempts\": 1}}",
             api_url, secret_key);
    CHECK(clerk_client_new(config, &shared.client, &json) == CLERK_RESULT_OK);

    /* The verifier fetches the emulator's JWKS through the shared client, from whichever
     * thread needs it first; every unknown kid refetches (interval 0, for tests). */
    CHECK(clerk_verifier_new("{\"kid_refetch_interval_ms\": 0}", shared.client, &shared.verifier,
                             &json) == CLERK_RESULT_OK);
    clerk_string_free(json);
    json = NULL;

    CHECK(pthread_create(&rotator_thread, NULL, rotator, &shared) == 0);
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
            rounds += outcome->rounds;
            rotated_refused += outcome->rotated_refused;
            rotated_accepted += outcome->rotated_accepted;
            retried += outcome->retried;
            free(outcome);
        }
    }
    pthread_mutex_lock(&shared.counts);
    shared.done = 1;
    pthread_mutex_unlock(&shared.counts);
    pthread_join(rotator_thread, NULL);
    /* Leave the emulator on its first key, as found: run.sh's later programs sign with
     * it. The committed keys cycle, so a few rotations get back to it (bounded). */
    for (i = 0; i < 4 && strcmp(shared.kid, kid) != 0; i++) {
        CHECK(rotate_key(shared.port, shared.kid) == 0);
    }
    CHECK(strcmp(shared.kid, kid) == 0);

    /* Every round's checks either held or were a token whose key rotated meanwhile. */
    CHECK(total_wrong == 0);
    CHECK(total_ok + rotated_refused + rotated_accepted + retried == rounds * CHECKS_PER_ROUND);
    CHECK(shared.rotations >= 1);
    CHECK(shared.old_key_refused == shared.rotations);
    CHECK(shared.rotator_wrong == 0);
    printf("%d threads, %d rounds: %d checks as expected, %d wrong; %d tokens refused and %d "
           "accepted after their key rotated meanwhile, %d retried after a racing fetch; "
           "%d rotations, %d old keys refused after them\n",
           THREADS, rounds, total_ok, total_wrong, rotated_refused, rotated_accepted, retried,
           shared.rotations, shared.old_key_refused);

    clerk_verifier_free(shared.verifier);
    clerk_client_free(shared.client);
    pthread_rwlock_destroy(&shared.keys);
    pthread_mutex_destroy(&shared.counts);
    return check_summary("test_threads");
}
