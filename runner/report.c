/* report.c: --summary-json and --metrics-file. See report.h. */
#include "report.h"
#include "rfc3339.h"

#include <math.h>

#include "skew.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outcome.h"

static const struct run_counts no_counts;

/* Before the scheduler existed (a lock held elsewhere, a bad input) there are
 * no counts, but the report is still due: cron monitoring needs every run. */
static const struct run_counts *counts_of(const struct report *r)
{
    return r->sched ? sched_counts(r->sched) : &no_counts;
}

static cJSON *status_counts(const unsigned long *by_status)
{
    cJSON *o = cJSON_CreateObject();
    for (int st = 0; st < ST__COUNT && o; st++)
        cJSON_AddNumberToObject(o, status_name(st), (double)by_status[st]);
    return o;
}

static void add_account(const char *id, unsigned long rows, const unsigned long *by_status,
                        void *ctx)
{
    (void)rows;
    cJSON *o = status_counts(by_status);
    if (o)
        cJSON_AddItemToObject(ctx, id, o);
}

static void add_time(cJSON *o, const char *key, double epoch)
{
    char buf[RFC3339_LEN + 1];
    rfc3339_format(epoch, buf);
    cJSON_AddStringToObject(o, key, buf);
}

int report_summary_json(const struct report *r, char *err, size_t errlen)
{
    const struct run_counts *c = counts_of(r);
    const struct config *cfg = r->cfg;
    double elapsed = r->finished - r->started;
    cJSON *root = cJSON_CreateObject();
    cJSON *counts = status_counts(c->by_status);
    cJSON *accounts = cJSON_CreateObject();
    cJSON *input = cJSON_CreateObject();
    cJSON *files = cJSON_CreateObject();
    char *text = NULL;
    int rc = -1;
    if (!root || !counts || !accounts || !input || !files)
        goto out;
    cJSON_AddStringToObject(root, "version", GROUPRM_VERSION);
    cJSON_AddStringToObject(root, "method", cfg->method);
    cJSON_AddBoolToObject(root, "dry_run", cfg->dry_run);
    add_time(root, "started_at", r->started);
    add_time(root, "finished_at", r->finished);
    cJSON_AddNumberToObject(root, "exit_code", r->exit_code);
    cJSON_AddStringToObject(root, "exit_reason", r->exit_reason);
    cJSON_AddNumberToObject(root, "rows", (double)c->rows);
    cJSON_AddNumberToObject(counts, "already_done", (double)c->skipped);
    cJSON_AddNumberToObject(counts, "left_alone", (double)c->ignored);
    cJSON_AddItemToObject(root, "counts", counts);
    counts = NULL;
    if (r->sched)
        sched_accounts(r->sched, (size_t)-1, add_account, accounts);
    cJSON_AddItemToObject(root, "accounts", accounts);
    accounts = NULL;
    cJSON_AddNumberToObject(root, "requests", (double)c->requests);
    cJSON_AddNumberToObject(root, "http_429", (double)c->http429);
    cJSON_AddNumberToObject(root, "retries", (double)c->retries);
    /* Server minus host, from the answers' Date; null when none had one. */
    const struct skew *k = r->sched ? sched_skew(r->sched) : NULL;
    if (k && k->samples)
        cJSON_AddNumberToObject(root, "server_clock_skew_s", round(k->est_s * 10) / 10);
    else
        cJSON_AddNullToObject(root, "server_clock_skew_s");
    cJSON_AddNumberToObject(root, "elapsed_seconds", elapsed);
    cJSON_AddNumberToObject(root, "requests_per_second",
                            elapsed > 0 ? (double)c->requests / elapsed : 0);
    cJSON_AddStringToObject(input, "path", cfg->input);
    if (r->input) {
        cJSON_AddNumberToObject(input, "size", (double)r->input->size);
        cJSON_AddStringToObject(input, "sha256", r->input->sha256);
    }
    cJSON_AddItemToObject(root, "input", input);
    input = NULL;
    cJSON_AddStringToObject(files, "results", cfg->output);
    cJSON_AddStringToObject(files, "retry_log", cfg->retry_log);
    cJSON_AddStringToObject(files, "summary_json", cfg->summary_json);
    if (cfg->metrics_file)
        cJSON_AddStringToObject(files, "metrics", cfg->metrics_file);
    cJSON_AddItemToObject(root, "files", files);
    files = NULL;
    text = cJSON_Print(root);
    if (text) {
        size_t n = strlen(text);
        text[n] = '\n';  /* cJSON leaves no final newline; its NUL is ours to use */
        rc = results_write_file_atomic(cfg->summary_json, text, n + 1, err, errlen);
    }
out:
    if (rc != 0 && !text)
        snprintf(err, errlen, "cannot build '%s': out of memory", cfg->summary_json);
    cJSON_free(text);
    cJSON_Delete(root);
    cJSON_Delete(counts);
    cJSON_Delete(accounts);
    cJSON_Delete(input);
    cJSON_Delete(files);
    return rc;
}

/* A label value in the exposition format: backslash, quote and newline escaped. */
static void label_value(char *out, size_t len, const char *v)
{
    size_t o = 0;
    for (; *v && o + 3 < len; v++) {
        if (*v == '\\' || *v == '"') {
            out[o++] = '\\';
            out[o++] = *v;
        } else if (*v == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
        } else {
            out[o++] = *v;
        }
    }
    out[o] = '\0';
}

char *report_metrics_text(const struct report *r)
{
    const struct run_counts *c = counts_of(r);
    char lbl[1100], out[1024];
    label_value(out, sizeof out, r->cfg->output);
    snprintf(lbl, sizeof lbl, "results=\"%s\"", out);
    size_t cap = 8192, len = 0;
    char *t = malloc(cap);
    if (!t)
        return NULL;
#define EMIT(...) len += (size_t)snprintf(t + len, len < cap ? cap - len : 0, __VA_ARGS__)
#define GAUGE(name, help) EMIT("# HELP %s %s\n# TYPE %s gauge\n", name, help, name)
    GAUGE("grouprm_last_run_timestamp_seconds", "When the last grouprm run ended (Unix time).");
    EMIT("grouprm_last_run_timestamp_seconds{%s} %.3f\n", lbl, r->finished);
    GAUGE("grouprm_last_run_duration_seconds", "How long the last grouprm run took.");
    EMIT("grouprm_last_run_duration_seconds{%s} %.3f\n", lbl, r->finished - r->started);
    GAUGE("grouprm_last_run_rows", "Rows of the last run by final status.");
    for (int st = 0; st < ST__COUNT; st++)
        EMIT("grouprm_last_run_rows{%s,status=\"%s\"} %lu\n", lbl, status_name(st),
             c->by_status[st]);
    EMIT("grouprm_last_run_rows{%s,status=\"already_done\"} %lu\n", lbl, c->skipped);
    GAUGE("grouprm_last_run_requests", "HTTP requests the last run sent.");
    EMIT("grouprm_last_run_requests{%s} %lu\n", lbl, c->requests);
    GAUGE("grouprm_last_run_http_429", "429 responses the last run got.");
    EMIT("grouprm_last_run_http_429{%s} %lu\n", lbl, c->http429);
    GAUGE("grouprm_last_run_exit_code", "Exit status of the last run.");
    EMIT("grouprm_last_run_exit_code{%s} %d\n", lbl, r->exit_code);
    GAUGE("grouprm_last_run_success", "1 if the last run removed or confirmed every row.");
    EMIT("grouprm_last_run_success{%s} %d\n", lbl, r->exit_code == 0);
#undef GAUGE
#undef EMIT
    if (len >= cap) {  /* 8 KiB holds it unless the path is absurd */
        free(t);
        return NULL;
    }
    return t;
}

int report_metrics(const struct report *r, char *err, size_t errlen)
{
    char *t = report_metrics_text(r);
    if (!t) {
        snprintf(err, errlen, "cannot build '%s'", r->cfg->metrics_file);
        return -1;
    }
    int rc = results_write_file_atomic(r->cfg->metrics_file, t, strlen(t), err, errlen);
    free(t);
    return rc;
}
