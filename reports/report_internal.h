/* Helpers shared by the report writers (reports/): files in the output
 * directory, gnuplot script pieces that quote every string from the database,
 * and the picture geometry all scripts share. Not used outside reports/. */
#ifndef MXT_REPORT_INTERNAL_H
#define MXT_REPORT_INTERNAL_H

#include <stdio.h>
#include "mxt_reports.h"

/* Picture size in pixels (PNG) and SVG user units, and the font. */
#define RPT_WIDTH 960
#define RPT_HEIGHT 640
#define RPT_FONT "sans,11"

/* Open dir/name for writing; path receives dir/name. MXT_EIO naming it. */
int rpt_open(const char *dir, const char *name, char *path, size_t size, FILE **f);
/* Close f, checking every write reached the file; on success add path to
 * files. MXT_EIO naming path otherwise. f may be NULL (no-op). */
int rpt_close(FILE *f, const char *path, struct mxt_report_files *files);

/* A single-quoted gnuplot string: gnuplot does no backquote or macro
 * substitution inside single quotes; a quote is doubled and anything but
 * printable ASCII becomes '?', so a name from the database cannot end the
 * string or the command. */
void gp_string(FILE *f, const char *s);
/* A string for a whitespace-separated .dat column, in double quotes, with
 * quotes, backslashes and control characters replaced. */
void dat_string(FILE *f, const char *s);

/* `set terminal pngcairo` + `set output 'NAME.png'`; gp_svg: the same for SVG
 * followed by `replot`. Every script plots once to PNG, then replots to SVG. */
void gp_png(FILE *f, const char *name);
void gp_svg(FILE *f, const char *name);

/* Explicit tics on a log axis: byte sizes as "4 KiB", "1 MiB" at powers of two
 * (every 2^step), or 1-2-5 decades for rates and times. */
void gp_byte_tics(FILE *f, const char *axis, double lo, double hi);
void gp_decade_tics(FILE *f, const char *axis, double lo, double hi);
/* The same with labels written by `label` and 1-2-5 steps on up to `max_decades`
 * decades (only the powers of ten beyond). */
void gp_decade_tics_with(FILE *f, const char *axis, double lo, double hi, int max_decades,
                         void (*label)(double v, char *buf, size_t size));

/* "48 KiB", "1.5 MiB" (mxt_format_bytes) and "417 GB/s"-style values with
 * three significant digits. */
void rpt_value(double v, char *buf, size_t size);

/* Level name as the profile table prints it: "L1d", "L2". */
void rpt_level_name(const struct mxt_cache *c, char *buf, size_t size);

/* Colours per cache level (L1..L4) and for DRAM, as "#rrggbb". */
const char *rpt_level_colour(int level);

#endif
