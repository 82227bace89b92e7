/* C smoke test of the Noorle C ABI against the local server (run under valgrind by test.sh).
 * Needs NOORLE_BASE_URL and NOORLE_DEV_ROOT_KEY (scripts/with-devserver exports them).
 * Exits 0 only if every check held; prints nothing secret. */
#include <pthread.h>
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

/* Runs op and returns the envelope (caller frees with noorle_string_free). */
static char *call(const noorle_client *c, const char *op) { return noorle_call(c, op, NULL); }

/* Runs op, checks it succeeded, frees the envelope. */
static void expect_ok(const noorle_client *c, const char *op, const char *what) {
    char *env = call(c, op);
    CHECK(has(env, "{\"ok\":"), what, env);
    noorle_string_free(env);
}

static noorle_client *client_for(const char *base, const char *key) {
    char cfg[1024];
    snprintf(cfg, sizeof cfg,
             "{\"api_key\":\"%s\",\"base_url\":\"%s\",\"env\":false,\"retry_base_delay\":0.01,"
             "\"sdk_language\":\"c-smoke\"}",
             key, base);
    noorle_client *c = NULL;
    char *env = noorle_client_new(cfg, &c);
    memset(cfg, 0, sizeof cfg);
    CHECK(c != NULL && has(env, "\"kind\":\"explicit\""), "client_new", env);
    noorle_string_free(env);
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
        char *env = call(c->client, c->log_op);
        c->seen = has(env, "\"fault\":\"stall\"");
        noorle_string_free(env);
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
    char *env = noorle_call(NULL, NULL, NULL);
    CHECK(has(env, "\"kind\":\"config\""), "NULL op", env);
    noorle_string_free(env);
    env = call(NULL, "{not json");
    CHECK(has(env, "\"error\":"), "malformed JSON", env);
    noorle_string_free(env);
    env = call(NULL, "{\"op\":\"no_such_op\"}");
    CHECK(has(env, "\"error\":"), "unknown op", env);
    noorle_string_free(env);
    env = call(NULL, "{\"op\":\"parse_key\",\"key\":\"\xff\"}");
    CHECK(has(env, "UTF-8"), "non-UTF-8", env);
    noorle_string_free(env);
    env = call(NULL, "{\"op\":\"whoami\"}");
    CHECK(has(env, "needs a client"), "client op without client", env);
    noorle_string_free(env);
    env = noorle_client_new("{\"env\":false}", NULL);
    CHECK(has(env, "out is NULL"), "client_new out NULL", env);
    noorle_string_free(env);
    noorle_client *none = (noorle_client *)1;
    env = noorle_client_new("{\"env\":false,\"base_url\":\"http://127.0.0.1:9\"}", &none);
    CHECK(none == NULL && has(env, "credentials_not_found"), "no key anywhere", env);
    noorle_string_free(env);
    env = call(NULL, "{\"op\":\"parse_key\",\"key\":\"ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6\"}");
    CHECK(has(env, "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4***") && !has(env, "s9t0u1v2"), "parse_key redacts", env);
    noorle_string_free(env);

    /* The management story with a service account of our own. */
    noorle_client *rc = client_for(base, root);
    if (!rc) return 1;
    char op[2048], sa_id[64], key[256], access_id[64], key2_id[64];
    snprintf(op, sizeof op, "{\"op\":\"service_accounts.create\",\"name\":\"c-smoke-%ld\",\"role\":\"admin\"}",
             (long)getpid());
    env = call(rc, op);
    /* Object keys come sorted: the account's id is the first "id" after "service_account". */
    const char *sa = env ? strstr(env, "\"service_account\":{") : NULL;
    int got = sa && field(env, "key", key, sizeof key) && field(sa, "id", sa_id, sizeof sa_id);
    CHECK(got, "service_accounts.create", "(envelope not printed: it holds a key)");
    noorle_string_free(env);
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
    CHECK(has(env, access_id) && has(env, "\"status\":\"active\""), "whoami", env);
    noorle_string_free(env);

    char cmd_cfg[1024];
    snprintf(cmd_cfg, sizeof cmd_cfg,
             "{\"api_key_command\":[\"cat\",\"%s\"],\"api_key_command_timeout\":30,\"base_url\":\"%s\","
             "\"env\":false}",
             kpath, base);
    noorle_client *kc = NULL;
    env = noorle_client_new(cmd_cfg, &kc);
    CHECK(kc != NULL && has(env, "\"kind\":\"command\"") && has(env, "\"program\":\"cat\""),
          "client from a credential command", env);
    noorle_string_free(env);
    unlink(kpath);
    if (kc) {
        env = call(kc, "{\"op\":\"whoami\"}");
        CHECK(has(env, access_id), "whoami with the credential command's key", env);
        noorle_string_free(env);
        noorle_client_free(kc);
    }
    /* A failing command: a config error naming the program and its exit status. */
    noorle_client *fc = (noorle_client *)1;
    env = noorle_client_new("{\"api_key_command\":[\"false\"],\"env\":false}", &fc);
    CHECK(fc == NULL && has(env, "\"kind\":\"config\"") && has(env, "credential command false") &&
              has(env, "exited with status 1"),
          "failing credential command", env);
    noorle_string_free(env);
    expect_ok(sc, "{\"op\":\"request\",\"method\":\"GET\",\"path\":\"/v1/agents\"}", "GET /v1/agents");

    snprintf(op, sizeof op, "{\"op\":\"service_accounts.create_key\",\"id\":\"%s\",\"name\":\"second\"}", sa_id);
    env = call(sc, op);
    char discard[256];
    got = field(env, "id", key2_id, sizeof key2_id) && field(env, "key", discard, sizeof discard);
    memset(discard, 0, sizeof discard);
    CHECK(got, "create_key", "(envelope holds a key)");
    noorle_string_free(env);
    snprintf(op, sizeof op, "{\"op\":\"service_accounts.list_keys\",\"id\":\"%s\",\"limit\":1}", sa_id);
    env = call(sc, op);
    CHECK(has(env, "\"total\":2") && has(env, "\"next_offset\":1"), "list_keys page", env);
    noorle_string_free(env);
    snprintf(op, sizeof op, "{\"op\":\"api_keys.revoke\",\"id\":\"%s\"}", key2_id);
    expect_ok(sc, op, "api_keys.revoke");
    snprintf(op, sizeof op, "{\"op\":\"api_keys.delete\",\"id\":\"%s\"}", key2_id);
    expect_ok(sc, op, "api_keys.delete");
    snprintf(op, sizeof op, "{\"op\":\"api_keys.get\",\"id\":\"%s\"}", key2_id);
    env = call(sc, op);
    CHECK(has(env, "\"kind\":\"not_found\"") && has(env, "\"status\":404") && has(env, "req_"), "404 envelope", env);
    noorle_string_free(env);

    /* A token cancelled before the call (nothing is sent), then one cancelled from another thread
     * once the server holds the request (the server stalls it 10 s). */
    noorle_cancel *tok = noorle_cancel_new();
    noorle_cancel_cancel(tok);
    env = noorle_call(sc, "{\"op\":\"whoami\"}", tok);
    CHECK(has(env, "\"kind\":\"cancelled\""), "cancelled before the call", env);
    noorle_string_free(env);
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
    env = noorle_call(sc, "{\"op\":\"whoami\"}", cc.token);
    pthread_join(th, NULL);
    CHECK(cc.seen && has(env, "\"kind\":\"cancelled\""), "cancelled mid-request", env);
    noorle_string_free(env);
    noorle_cancel_free(cc.token);
    /* The server saw the first two whoami (answered; the second from the credential command's
     * client, same key) and the stalled one, still unanswered when the call returned: the
     * cancellation ended it, not an answer. The pre-cancelled call sent nothing. */
    env = call(sc, log_op);
    CHECK(count(env, "\"path\":\"/v1/api-keys/self\"") == 3 && count(env, "\"status\":null") == 1 &&
              count(env, "\"fault\":\"stall\"") == 1,
          "request log: two answered whoami, one stalled and cancelled", env);
    noorle_string_free(env);

    snprintf(op, sizeof op, "{\"op\":\"service_accounts.delete\",\"id\":\"%s\"}", sa_id);
    expect_ok(rc, op, "service_accounts.delete");
    env = call(sc, "{\"op\":\"whoami\"}");
    CHECK(has(env, "\"kind\":\"authentication\"") && has(env, "\"status\":401"), "key of a deleted account: 401", env);
    noorle_string_free(env);

    noorle_client_free(sc);
    noorle_client_free(rc);
    noorle_client_free(NULL);
    noorle_string_free(NULL);
    printf("%s: %d failure(s)\n", failures ? "FAILED" : "PASSED", failures);
    return failures ? 1 : 0;
}
