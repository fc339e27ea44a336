/*
 * page.c - the HTML pages made of the embedded web/ files: the served
 * index (CSS and JS by URL, so the Content-Security-Policy can forbid
 * inline script) and the static, self-contained page (CSS and JS inline,
 * the state as a JSON data block, a meta refresh every 5 s).
 */
#include "http_internal.h"

#include <stdlib.h>
#include <string.h>

#define HEAD_MARK   "<!--HC:HEAD-->"
#define SCRIPT_MARK "<!--HC:SCRIPT-->"

static char *assemble(const char *head, const char *script, size_t *len)
{
    const char *html = (const char *)hc__web_index_html;
    const char *h = strstr(html, HEAD_MARK), *s = strstr(html, SCRIPT_MARK);
    hc__sbuf b = {0};
    if (!h || !s || s < h)
        return NULL;
    hc__sbuf_append(&b, html, (size_t)(h - html));
    hc__sbuf_puts(&b, head);
    h += strlen(HEAD_MARK);
    hc__sbuf_append(&b, h, (size_t)(s - h));
    hc__sbuf_puts(&b, script);
    s += strlen(SCRIPT_MARK);
    hc__sbuf_puts(&b, s);
    *len = b.len;
    return hc__sbuf_take(&b);
}

char *hc__http_index_page(size_t *len)
{
    return assemble("<link rel=\"stylesheet\" href=\"/app.css\">",
                    "<script src=\"/app.js\"></script>", len);
}

char *hc__http_static_page(const json_t *state, size_t *len)
{
    /* JSON_ESCAPE_SLASH keeps "</script>" out; '<' as \u003c keeps "<!--"
     * out too. '<' occurs only inside JSON strings, so replacing it
     * everywhere is exact. */
    char *js = json_dumps(state, JSON_COMPACT | JSON_ESCAPE_SLASH), *page;
    hc__sbuf head = {0}, script = {0};
    if (!js)
        return NULL;
    hc__sbuf_puts(&head, "<meta http-equiv=\"refresh\" content=\"5\"><style>");
    hc__sbuf_append(&head, (const char *)hc__web_app_css, hc__web_app_css_len);
    hc__sbuf_puts(&head, "</style>");
    hc__sbuf_puts(&script,
                  "<script type=\"application/json\" id=\"hc-state\">");
    for (const char *p = js; *p; p++) {
        if (*p == '<')
            hc__sbuf_puts(&script, "\\u003c");
        else
            hc__sbuf_putc(&script, *p);
    }
    hc__sbuf_puts(&script, "</script><script>");
    hc__sbuf_append(&script, (const char *)hc__web_app_js, hc__web_app_js_len);
    hc__sbuf_puts(&script, "</script>");
    free(js);
    page = (hc__sbuf_failed(&head) || hc__sbuf_failed(&script))
               ? NULL
               : assemble(head.data, script.data, len);
    hc__sbuf_free(&head);
    hc__sbuf_free(&script);
    return page;
}
