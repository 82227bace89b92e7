/* C smoke test of the Noorle C ABI against the local server (run under valgrind by test.sh).
 * Needs NOORLE_BASE_URL and NOORLE_DEV_ROOT_KEY (scripts/with-devserver exports them).
 * Exits 0 only if every check held; prints nothing secret. */
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "noorle.h"

static int failures = 0;

#define CHECK(cond, what, env)                                                  \
    do {                                                                        \
        if (cond) {                                                             \
            printf("ok   %s\n", what);                                          \
        } else {                                                                \
            printf("FAIL %s: %s\n", what, (env) ? (env) : "(null)");            \
            failures++;                                                         \
        }                                                                       \
    } while (0)

static int has(const char *env, const char *needle) { return env && strstr(env, needle) != NULL; }

/* Copies the string value of the first "name":"..." in json into out (a JSON string without
 * escapes: ids and keys only). */
static int field(const char *json, const char *name, char *out, size_t cap) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", name);
    const char *p = json ? strstr(json, pat) : NULL;
    if (!p) return 0;
    p += strlen(pat);
    const char *end = strchr(p, '"');
    if (!end || (size_t)(end - p) >= cap) return 0;
    memcpy(out, p, (size_t)(end - p));
    out[end - p] = '\0';
    return 1;
}

/* A C string as the ABI's text arguments: pointer and length. */
#define TEXT(s) (s), strlen(s)

/* Runs op and returns the envelope (NUL-terminated text; caller frees with noorle_buf_free). */
static noorle_buf call(const noorle_client *c, const char *op) { return noorle_call(c, TEXT(op), NULL); }

/* Runs op, checks it succeeded, frees the envelope. */
static void expect_ok(const noorle_client *c, const char *op, const char *what) {
    noorle_buf env = call(c, op);
    CHECK(has(env.ptr, "{\"ok\":"), what, env.ptr);
    noorle_buf_free(env);
}

static noorle_client *client_for(const char *base, const char *key) {
    char cfg[1024];
    snprintf(cfg, sizeof cfg,
             "{\"api_key\":\"%s\",\"base_url\":\"%s\",\"env\":false,\"retry_base_delay\":0.01,"
             "\"sdk_language\":\"c-smoke\"}",
             key, base);
    noorle_client *c = NULL;
    noorle_buf env = noorle_client_new(TEXT(cfg), &c);
    memset(cfg, 0, sizeof cfg);
    CHECK(c != NULL && has(env.ptr, "\"kind\":\"explicit\""), "client_new", env.ptr);
    noorle_buf_free(env);
    return c;
}

/* Counts the occurrences of needle in s. */
static int count(const char *s, const char *needle) {
    int n = 0;
    for (const char *p = s ? strstr(s, needle) : NULL; p; p = strstr(p + 1, needle)) n++;
    return n;
}

struct canceller {
    const noorle_client *client;
    const char *log_op; /* the request-log query of the stalled call */
    noorle_cancel *token;
    int seen;           /* whether the server was seen holding the request */
};

/* Cancels once the server's request log shows the stalled request: the call is then in flight,
 * whatever the machine's load (no timer decides when). */
static void *cancel_when_stalled(void *arg) {
    struct canceller *c = arg;
    for (int i = 0; i < 3000 && !c->seen; i++) {
        noorle_buf env = call(c->client, c->log_op);
        c->seen = has(env.ptr, "\"fault\":\"stall\"");
        noorle_buf_free(env);
        if (!c->seen) usleep(10 * 1000); /* pause between polls */
    }
    noorle_cancel_cancel(c->token);
    return NULL;
}

int main(void) {
    const char *base = getenv("NOORLE_BASE_URL");
    const char *root = getenv("NOORLE_DEV_ROOT_KEY");
    if (!base || !root) {
        fprintf(stderr, "NOORLE_BASE_URL and NOORLE_DEV_ROOT_KEY are unset: run under scripts/with-devserver\n");
        return 2;
    }
    CHECK(strlen(noorle_version()) > 0, "version", noorle_version());

    /* Invalid input never crashes: each is an error envelope. */
    noorle_buf env = noorle_call(NULL, NULL, 0, NULL);
    CHECK(has(env.ptr, "\"kind\":\"config\""), "NULL op", env.ptr);
    noorle_buf_free(env);
    env = call(NULL, "{not json");
    CHECK(has(env.ptr, "\"error\":"), "malformed JSON", env.ptr);
    noorle_buf_free(env);
    env = call(NULL, "{\"op\":\"no_such_op\"}");
    CHECK(has(env.ptr, "\"error\":"), "unknown op", env.ptr);
    noorle_buf_free(env);
    env = call(NULL, "{\"op\":\"parse_key\",\"key\":\"\xff\"}");
    CHECK(has(env.ptr, "UTF-8"), "non-UTF-8", env.ptr);
    noorle_buf_free(env);
    env = call(NULL, "{\"op\":\"whoami\"}");
    CHECK(has(env.ptr, "needs a client"), "client op without client", env.ptr);
    noorle_buf_free(env);
    env = noorle_client_new(TEXT("{\"env\":false}"), NULL);
    CHECK(has(env.ptr, "out is NULL"), "client_new out NULL", env.ptr);
    noorle_buf_free(env);
    noorle_client *none = (noorle_client *)1;
    env = noorle_client_new(TEXT("{\"env\":false,\"base_url\":\"http://127.0.0.1:9\"}"), &none);
    CHECK(none == NULL && has(env.ptr, "credentials_not_found"), "no key anywhere", env.ptr);
    noorle_buf_free(env);
    env = call(NULL, "{\"op\":\"parse_key\",\"key\":\"ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6\"}");
    CHECK(has(env.ptr, "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4***") && !has(env.ptr, "s9t0u1v2"), "parse_key redacts", env.ptr);
    noorle_buf_free(env);

    /* The key check without JSON: the access id's place in the key, or the error envelope. */
    const char *good = "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6";
    size_t id_at = 0, id_len = 0;
    env = noorle_parse_key(TEXT(good), &id_at, &id_len);
    CHECK(env.ptr == NULL && id_at == 3 && id_len == 32 && strncmp(good + id_at, "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4", 32) == 0,
          "parse_key fast path", "(no envelope)");
    env = noorle_parse_key(TEXT("Bearer ak-x"), NULL, NULL);
    CHECK(has(env.ptr, "\"kind\":\"invalid_api_key\"") && env.ptr[env.len] == '\0', "parse_key fast path, invalid key", env.ptr);
    noorle_buf_free(env);

    /* The management story with a service account of our own. */
    noorle_client *rc = client_for(base, root);
    if (!rc) return 1;
    char op[2048], sa_id[64], key[256], access_id[64], key2_id[64];
    snprintf(op, sizeof op, "{\"op\":\"service_accounts.create\",\"name\":\"c-smoke-%ld\",\"role\":\"admin\"}",
             (long)getpid());
    env = call(rc, op);
    /* Object keys come sorted: the account's id is the first "id" after "service_account". */
    const char *sa = env.ptr ? strstr(env.ptr, "\"service_account\":{") : NULL;
    int got = sa && field(env.ptr, "key", key, sizeof key) && field(sa, "id", sa_id, sizeof sa_id);
    CHECK(got, "service_accounts.create", "(envelope not printed: it holds a key)");
    noorle_buf_free(env);
    if (!got) return 1;
    memcpy(access_id, key + 3, 32);
    access_id[32] = '\0';

    /* The same key from a credential command: `cat` of a private file (an argv, no shell). */
    char kpath[] = "/tmp/noorle-c-smoke-key.XXXXXX";
    int kfd = mkstemp(kpath);
    size_t klen = strlen(key);
    CHECK(kfd >= 0 && write(kfd, key, klen) == (ssize_t)klen, "write the key file", "(mkstemp or write failed)");
    if (kfd >= 0) close(kfd);

    noorle_client *sc = client_for(base, key);
    memset(key, 0, sizeof key);
    if (!sc) return 1;
    env = call(sc, "{\"op\":\"whoami\"}");
    CHECK(has(env.ptr, access_id) && has(env.ptr, "\"status\":\"active\""), "whoami", env.ptr);
    noorle_buf_free(env);

    char cmd_cfg[1024];
    snprintf(cmd_cfg, sizeof cmd_cfg,
             "{\"api_key_command\":[\"cat\",\"%s\"],\"api_key_command_timeout\":30,\"base_url\":\"%s\","
             "\"env\":false}",
             kpath, base);
    noorle_client *kc = NULL;
    env = noorle_client_new(TEXT(cmd_cfg), &kc);
    CHECK(kc != NULL && has(env.ptr, "\"kind\":\"command\"") && has(env.ptr, "\"program\":\"cat\""),
          "client from a credential command", env.ptr);
    noorle_buf_free(env);
    unlink(kpath);
    if (kc) {
        env = call(kc, "{\"op\":\"whoami\"}");
        CHECK(has(env.ptr, access_id), "whoami with the credential command's key", env.ptr);
        noorle_buf_free(env);
        noorle_client_free(kc);
    }
    /* A failing command: a config error naming the program and its exit status. */
    noorle_client *fc = (noorle_client *)1;
    env = noorle_client_new(TEXT("{\"api_key_command\":[\"false\"],\"env\":false}"), &fc);
    CHECK(fc == NULL && has(env.ptr, "\"kind\":\"config\"") && has(env.ptr, "credential command false") &&
              has(env.ptr, "exited with status 1"),
          "failing credential command", env.ptr);
    noorle_buf_free(env);
    expect_ok(sc, "{\"op\":\"request\",\"method\":\"GET\",\"path\":\"/v1/agents\"}", "GET /v1/agents");

    snprintf(op, sizeof op, "{\"op\":\"service_accounts.create_key\",\"id\":\"%s\",\"name\":\"second\"}", sa_id);
    env = call(sc, op);
    char discard[256];
    got = field(env.ptr, "id", key2_id, sizeof key2_id) && field(env.ptr, "key", discard, sizeof discard);
    memset(discard, 0, sizeof discard);
    CHECK(got, "create_key", "(envelope holds a key)");
    noorle_buf_free(env);
    snprintf(op, sizeof op, "{\"op\":\"service_accounts.list_keys\",\"id\":\"%s\",\"limit\":1}", sa_id);
    env = call(sc, op);
    CHECK(has(env.ptr, "\"total\":2") && has(env.ptr, "\"next_offset\":1"), "list_keys page", env.ptr);
    noorle_buf_free(env);
    snprintf(op, sizeof op, "{\"op\":\"api_keys.revoke\",\"id\":\"%s\"}", key2_id);
    expect_ok(sc, op, "api_keys.revoke");
    snprintf(op, sizeof op, "{\"op\":\"api_keys.delete\",\"id\":\"%s\"}", key2_id);
    expect_ok(sc, op, "api_keys.delete");
    snprintf(op, sizeof op, "{\"op\":\"api_keys.get\",\"id\":\"%s\"}", key2_id);
    env = call(sc, op);
    CHECK(has(env.ptr, "\"kind\":\"not_found\"") && has(env.ptr, "\"status\":404") && has(env.ptr, "req_"), "404 envelope", env.ptr);
    noorle_buf_free(env);

    /* A token cancelled before the call (nothing is sent), then one cancelled from another thread
     * once the server holds the request (the server stalls it 10 s). */
    noorle_cancel *tok = noorle_cancel_new();
    noorle_cancel_cancel(tok);
    env = noorle_call(sc, TEXT("{\"op\":\"whoami\"}"), tok);
    CHECK(has(env.ptr, "\"kind\":\"cancelled\""), "cancelled before the call", env.ptr);
    noorle_buf_free(env);
    noorle_cancel_free(tok);

    snprintf(op, sizeof op,
             "{\"op\":\"request\",\"method\":\"POST\",\"path\":\"/_dev/faults\",\"json\":{\"method\":\"GET\","
             "\"path\":\"/v1/api-keys/self\",\"access_id\":\"%s\",\"fault\":{\"type\":\"stall\",\"ms\":10000}}}",
             access_id);
    expect_ok(sc, op, "inject a stall");
    char log_op[512];
    snprintf(log_op, sizeof log_op,
             "{\"op\":\"request\",\"method\":\"GET\",\"path\":\"/_dev/requests\",\"query\":{\"access_id\":\"%s\","
             "\"method\":\"GET\",\"path\":\"/v1/api-keys/self\"}}",
             access_id);
    struct canceller cc = {sc, log_op, noorle_cancel_new(), 0};
    pthread_t th;
    pthread_create(&th, NULL, cancel_when_stalled, &cc);
    env = noorle_call(sc, TEXT("{\"op\":\"whoami\"}"), cc.token);
    pthread_join(th, NULL);
    CHECK(cc.seen && has(env.ptr, "\"kind\":\"cancelled\""), "cancelled mid-request", env.ptr);
    noorle_buf_free(env);
    noorle_cancel_free(cc.token);
    /* The server saw the first two whoami (answered; the second from the credential command's
     * client, same key) and the stalled one, still unanswered when the call returned: the
     * cancellation ended it, not an answer. The pre-cancelled call sent nothing. */
    env = call(sc, log_op);
    CHECK(count(env.ptr, "\"path\":\"/v1/api-keys/self\"") == 3 && count(env.ptr, "\"status\":null") == 1 &&
              count(env.ptr, "\"fault\":\"stall\"") == 1,
          "request log: two answered whoami, one stalled and cancelled", env.ptr);
    noorle_buf_free(env);

    /* Two users of the library in one process, each with its own completion queue and the same
     * tag: each queue hands back only its own call's answer. */
    noorle_queue *qa = noorle_queue_new(), *qb = noorle_queue_new();
    noorle_submit(qa, sc, TEXT("{\"op\":\"whoami\"}"), NULL, 1);
    noorle_submit(qb, sc, TEXT("{\"op\":\"version\"}"), NULL, 1);
    noorle_completion done[4];
    size_t nb = noorle_queue_wait(qb, 60000, done, 4);
    CHECK(nb == 1 && done[0].tag == 1 && has(done[0].result.ptr, "\"version\":"), "queue b: its own answer",
          nb ? done[0].result.ptr : "(nothing)");
    for (size_t i = 0; i < nb; i++) noorle_buf_free(done[i].result);
    size_t na = noorle_queue_wait(qa, 60000, done, 4);
    CHECK(na == 1 && done[0].tag == 1 && has(done[0].result.ptr, access_id), "queue a: its own answer",
          na ? done[0].result.ptr : "(nothing)");
    for (size_t i = 0; i < na; i++) noorle_buf_free(done[i].result);
    CHECK(noorle_queue_wait(qa, 0, done, 4) == 0 && noorle_queue_wait(qb, 0, done, 4) == 0, "queues drained", "");

    /* Waiting in an event loop instead of in the library (Linux: an eventfd): poll the queue's
     * fd, read it, then drain without blocking. */
#ifdef __linux__
    int qfd = noorle_queue_fd(qa);
    CHECK(qfd >= 0 && noorle_queue_fd(qa) == qfd, "queue fd: one per queue", "");
    noorle_submit(qa, sc, TEXT("{\"op\":\"whoami\"}"), NULL, 7);
    struct pollfd pfd = {.fd = qfd, .events = POLLIN};
    uint64_t word = 0;
    /* As the header says, a wake-up may find nothing: the answer that emptied the queue before
     * the fd existed can still raise it (its thread raises after letting go of the queue). So
     * wait, read and drain until the answer comes, as an event loop would. */
    int readable = 1;
    na = 0;
    for (int round = 0; round < 10 && na == 0 && readable; round++) {
        readable = poll(&pfd, 1, 60000) == 1 && read(qfd, &word, sizeof word) == 8 && word >= 1;
        na = noorle_queue_wait(qa, 0, done, 4);
    }
    CHECK(readable, "queue fd: readable once answered", "");
    CHECK(na == 1 && done[0].tag == 7 && has(done[0].result.ptr, access_id), "queue fd: the answer is there",
          na ? done[0].result.ptr : "(nothing)");
    for (size_t i = 0; i < na; i++) noorle_buf_free(done[i].result);
#else
    CHECK(noorle_queue_fd(qa) == -1, "queue fd: none off Linux", "");
#endif
    noorle_queue_free(qa);
    noorle_queue_free(qb);

    snprintf(op, sizeof op, "{\"op\":\"service_accounts.delete\",\"id\":\"%s\"}", sa_id);
    expect_ok(rc, op, "service_accounts.delete");
    env = call(sc, "{\"op\":\"whoami\"}");
    CHECK(has(env.ptr, "\"kind\":\"authentication\"") && has(env.ptr, "\"status\":401"), "key of a deleted account: 401", env.ptr);
    noorle_buf_free(env);

    noorle_client_free(sc);
    noorle_client_free(rc);
    noorle_client_free(NULL);
    noorle_buf_free((noorle_buf){NULL, 0});
    noorle_queue_free(NULL);
    printf("%s: %d failure(s)\n", failures ? "FAILED" : "PASSED", failures);
    return failures ? 1 : 0;
}
