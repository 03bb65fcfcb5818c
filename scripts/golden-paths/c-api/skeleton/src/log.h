/* {{name}}: structured logs, one JSON object per line. */
#ifndef LOG_H
#define LOG_H

#include <stdio.h>

/* Write {"time":...,"level":LEVEL,"msg":MSG,"service":SERVICE_NAME<fields>}
 * and a newline to f, then flush it. time is RFC 3339 UTC with milliseconds.
 * fields_fmt formats further members, each starting with a comma, as JSON
 * (escape strings with buf_json_string); "" for none. One fwrite per line,
 * so lines from different threads never interleave. */
void log_json(FILE *f, const char *level, const char *msg, const char *fields_fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* LOG_H */
