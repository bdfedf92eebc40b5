/* outcome.c: what one finished attempt means for its row, following the retry
 * table in outcome.h. Pure: the caller hands in the status, the curl code and
 * the facts already read from the body.
 *
 * A transport error outranks any HTTP status seen on the same attempt: a status
 * line followed by a broken body is not a trustworthy answer, and the request is
 * safe to repeat (removing a membership twice leaves the same state, and the
 * Idempotency-Key lets the server see the repeat). */
#include "outcome.h"
#include "ascii.h"

#include <curl/curl.h>
#include <cjson/cJSON.h>
#include <string.h>

/* Each status's name in the results file and its classes (outcome.h). */
static const struct {
    const char *name;
    unsigned classes;
} STATUSES[ST__COUNT] = {
    [ST_REMOVED] = {"removed", STC_ANSWERED | STC_DONE},
    [ST_NOT_FOUND] = {"not_found", STC_ANSWERED | STC_DONE},
    [ST_FAILED] = {"failed", STC_ANSWERED | STC_FAILURE | STC_RETRY | STC_EXIT1},
    [ST_INVALID] = {"invalid", STC_EXIT1},
    [ST_DUPLICATE] = {"duplicate", 0},
    [ST_NOT_ATTEMPTED] = {"not_attempted", STC_RETRY | STC_EXIT1},
    [ST_INTERRUPTED] = {"interrupted", STC_RETRY | STC_EXIT1},
    [ST_DRY_RUN] = {"dry_run", 0},
    [ST_ADDED] = {"added", STC_ANSWERED | STC_DONE},
};

const char *status_name(enum status s)
{
    if ((unsigned)s >= ST__COUNT)
        return "unknown";
    return STATUSES[s].name;
}

int status_is(enum status s, unsigned classes)
{
    return (unsigned)s < ST__COUNT && classes && (STATUSES[s].classes & classes) == classes;
}

unsigned long status_count(const unsigned long *by_status, unsigned classes)
{
    unsigned long n = 0;
    for (int i = 0; i < ST__COUNT; i++)
        n += status_is((enum status)i, classes) ? by_status[i] : 0;
    return n;
}

int status_from_name(const char *name, size_t len, enum status *s)
{
    for (int i = 0; i < ST__COUNT; i++)
        if (strlen(STATUSES[i].name) == len && memcmp(STATUSES[i].name, name, len) == 0) {
            *s = (enum status)i;
            return 1;
        }
    return 0;
}

/* ---- body facts --------------------------------------------------------- */

/* A non-empty string member, or NULL. */
static const char *str_member(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
    return s != NULL && s[0] != '\0' ? s : NULL;
}

/* A human summary of the provider's own body (raw_response), which Truto passes
 * through as parsed JSON when it can and as text otherwise. The keys cover the
 * common shapes: Okta's errorSummary, plain message, OAuth error_description,
 * and error as a string or as an object with a message. */
static const char *raw_summary(const cJSON *raw)
{
    if (cJSON_IsString(raw))
        return raw->valuestring != NULL && raw->valuestring[0] != '\0' ? raw->valuestring
                                                                       : NULL;
    if (!cJSON_IsObject(raw))
        return NULL;
    static const char *const keys[] = { "errorSummary", "message", "error_description",
                                        "detail", "error" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *s = str_member(raw, keys[i]);
        if (s != NULL)
            return s;
    }
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(raw, "error");
    if (cJSON_IsObject(err))
        return str_member(err, "message");
    return NULL;
}

/* Copies s into the fixed message field. Cuts only at a UTF-8 character
 * boundary so the results file never gets half a character, and turns control
 * characters into spaces so a message stays on one line of a log. */
static void copy_message(char *dst, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (n > cap - 1) {
        n = cap - 1;
        /* Back off over continuation bytes (10xxxxxx) to the start of the
         * character that did not fit. */
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[i] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
    }
    dst[n] = '\0';
}

/* truto_error_insight's shape is not pinned down, so the marker is accepted as
 * the string itself, inside an array, or as a key of an object with a truthy
 * (or non-boolean) value. */
static int insight_says_blocked(const cJSON *ins)
{
    if (cJSON_IsString(ins))
        return ins->valuestring != NULL && ascii_eq_str(ins->valuestring, "account_blocked");
    if (cJSON_IsArray(ins)) {
        const cJSON *el;
        cJSON_ArrayForEach(el, ins) {
            if (cJSON_IsString(el) && el->valuestring != NULL &&
                ascii_eq_str(el->valuestring, "account_blocked"))
                return 1;
        }
        return 0;
    }
    if (cJSON_IsObject(ins)) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(ins, "account_blocked");
        return v != NULL && !cJSON_IsFalse(v) && !cJSON_IsNull(v);
    }
    return 0;
}

void body_facts_parse(struct body_facts *f, const char *body, size_t len)
{
    memset(f, 0, sizeof *f);
    if (body == NULL || len == 0)
        return;
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (root == NULL)
        return;
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return;
    }

    f->is_remote_error = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "truto_is_remote_error"));

    const char *msg = str_member(root, "message");
    if (msg == NULL)
        msg = str_member(root, "error");
    if (msg == NULL)
        msg = raw_summary(cJSON_GetObjectItemCaseSensitive(root, "raw_response"));
    if (msg != NULL) {
        copy_message(f->message, sizeof f->message, msg);
        /* Checked on the whole text, not the truncated copy. */
        if (ascii_contains_nocase(msg, "blocked"))
            f->account_blocked = 1;
    }
    if (insight_says_blocked(cJSON_GetObjectItemCaseSensitive(root, "truto_error_insight")))
        f->account_blocked = 1;

    cJSON_Delete(root);
}

/* ---- classification ----------------------------------------------------- */

static struct verdict make(enum action a, enum status s, const char *reason)
{
    struct verdict v = { a, s, reason };
    return v;
}

/* Reasons are static strings, so the common statuses get their own word and
 * the rest fall back to their class. */
static const char *http_reason(long st)
{
    switch (st) {
    case 400: return "http_400";
    case 401: return "http_401";
    case 403: return "http_403";
    case 404: return "http_404";
    case 405: return "http_405";
    case 408: return "http_408";
    case 409: return "http_409";
    case 410: return "http_410";
    case 412: return "http_412";
    case 413: return "http_413";
    case 415: return "http_415";
    case 422: return "http_422";
    case 425: return "http_425";
    case 429: return "http_429";
    case 500: return "http_500";
    case 501: return "http_501";
    case 502: return "http_502";
    case 503: return "http_503";
    case 504: return "http_504";
    default: break;
    }
    if (st >= 100 && st < 200)
        return "http_1xx";
    if (st >= 300 && st < 400)
        return "http_3xx";
    if (st >= 400 && st < 500)
        return "http_4xx";
    if (st >= 500 && st < 600)
        return "http_5xx";
    return "http_other";
}

/* Transport results. Codes that will fail the same way on every request (the
 * peer's certificate, our trust store or client certificate, a URL we built
 * wrong) stop the run; codes that describe a flaky path retry. */
static struct verdict classify_curl(int code)
{
    switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
        return make(ACT_RETRY, ST_FAILED, "timeout");

    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_QUIC_CONNECT_ERROR:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_AGAIN:
    case CURLE_NO_CONNECTION_AVAILABLE:
    case CURLE_PROXY:
    case CURLE_SSL_SHUTDOWN_FAILED:
        return make(ACT_RETRY, ST_FAILED, "network");

    /* A failed handshake that is not a verification failure: with OpenSSL
     * builds, a bad or untrusted certificate reports PEER_FAILED_VERIFICATION,
     * while SSL_CONNECT_ERROR is mostly a connection reset or EOF in the middle
     * of the handshake, which an overloaded edge produces and a retry fixes.
     * The attempt cap still bounds it if it is permanent. */
    case CURLE_SSL_CONNECT_ERROR:
        return make(ACT_RETRY, ST_FAILED, "tls_handshake");

    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
        return make(ACT_STOP_RUN, ST_NOT_ATTEMPTED, "tls");

    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return make(ACT_STOP_RUN, ST_NOT_ATTEMPTED, "bad_url");

    default:
        /* Local trouble (out of memory, a write callback refusing, a bad
         * option): not something the server did, and repeating it blindly
         * is not known to help, so the row fails with the code on record. */
        return make(ACT_DONE, ST_FAILED, "curl_error");
    }
}

static struct verdict classify_http(long st, const struct body_facts *facts)
{
    if (st >= 200 && st < 300)
        return make(ACT_DONE, ST_REMOVED, "");
    switch (st) {
    case 404:
        return make(ACT_DONE, ST_NOT_FOUND, "http_404");
    case 408:
    case 425:
    case 429:
    case 500:
    case 502:
    case 504:
        return make(ACT_RETRY, ST_FAILED, http_reason(st));
    case 401:
        /* Truto marks errors that came from the provider: then only this
         * account's credentials are bad. Otherwise Truto itself refused our
         * token, and every further request would be refused too. */
        if (facts != NULL && facts->is_remote_error)
            return make(ACT_STOP_ACCOUNT, ST_NOT_ATTEMPTED, "account_reauth");
        return make(ACT_STOP_RUN, ST_NOT_ATTEMPTED, "bad_token");
    case 503:
        if (facts != NULL && facts->account_blocked)
            return make(ACT_STOP_ACCOUNT, ST_NOT_ATTEMPTED, "account_blocked");
        return make(ACT_RETRY, ST_FAILED, "http_503");
    default:
        break;
    }
    return make(ACT_DONE, ST_FAILED, http_reason(st));
}

struct verdict classify(long http_status, int curl_code, const struct body_facts *facts,
                        unsigned attempts, unsigned max_attempts)
{
    struct verdict v;
    /* With CURLOPT_FAILONERROR a 4xx/5xx arrives as HTTP_RETURNED_ERROR; the
     * status itself is then the real answer. */
    if (curl_code == CURLE_HTTP_RETURNED_ERROR && http_status != 0)
        v = classify_http(http_status, facts);
    else if (curl_code != CURLE_OK)
        v = classify_curl(curl_code);
    else if (http_status == 0)
        v = make(ACT_RETRY, ST_FAILED, "network");  /* no error, yet no answer */
    else
        v = classify_http(http_status, facts);

    if (v.action == ACT_RETRY && attempts >= max_attempts)
        v = make(ACT_DONE, ST_FAILED, "max_attempts");
    return v;
}
