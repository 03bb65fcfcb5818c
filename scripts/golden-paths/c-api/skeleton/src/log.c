/* {{name}}: structured logs (see log.h). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

#include "app.h"
#include "util.h"

void log_json(FILE *f, const char *level, const char *msg, const char *fields_fmt, ...)
{
	char now[32];
	rfc3339_now(now);
	struct buf b = { NULL, 0, 0, 0 };
	buf_printf(&b, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":", now, level);
	buf_json_string(&b, msg);
	buf_printf(&b, ",\"service\":\"%s\"", SERVICE_NAME);

	va_list ap;
	va_start(ap, fields_fmt);
	buf_vprintf(&b, fields_fmt, ap);
	va_end(ap);
	buf_printf(&b, "}\n");

	if (!b.oom) {
		fwrite(b.data, 1, b.len, f);
		fflush(f);
	}
	buf_free(&b);
}
