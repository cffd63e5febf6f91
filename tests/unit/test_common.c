/* Unit tests for common/: number parsing, sizes, machine JSON round trip and
 * the defaults of a hand-written machine file. */
#include <stdlib.h>
#include "mxt_common.h"
#include "mxt_test.h"
#include "mxtune/config.h"
#include "mxtune/machine.h"

MXT_TEST(parse_int_strict) {
    int64_t v;
    CHECK_EQ_INT(mxt_parse_i64("42", 1, 100, "x", &v), 0);
    CHECK_EQ_INT(v, 42);
    CHECK_EQ_INT(mxt_parse_i64("4x2", 1, 100, "x", &v), MXT_EINVAL);
    CHECK_EQ_INT(mxt_parse_i64("", 1, 100, "x", &v), MXT_EINVAL);
    CHECK_EQ_INT(mxt_parse_i64("0", 1, 100, "x", &v), MXT_ERANGE);
    CHECK_EQ_INT(mxt_parse_i64("-5", 1, 100, "x", &v), MXT_ERANGE);
    CHECK_EQ_INT(mxt_parse_i64("99999999999999999999999", 1, INT64_MAX, "x", &v), MXT_ERANGE);
    double d;
    CHECK_EQ_INT(mxt_parse_double("0.5", 0, 1, "d", &d), 0);
    CHECK_EQ_INT(mxt_parse_double("nan", 0, 1, "d", &d), MXT_ERANGE);
    CHECK_EQ_INT(mxt_parse_double("1.5", 0, 1, "d", &d), MXT_ERANGE);
}

MXT_TEST(parse_size_units) {
    uint64_t v;
    CHECK_EQ_INT(mxt_parse_size("48K", "s", &v), 0);
    CHECK_EQ_INT(v, 49152);
    CHECK_EQ_INT(mxt_parse_size("1.25MiB", "s", &v), 0);
    CHECK_EQ_INT(v, 1310720); /* not 25 MiB */
    CHECK_EQ_INT(mxt_parse_size("2G", "s", &v), 0);
    CHECK_EQ_INT(v, 2147483648ULL);
    CHECK_EQ_INT(mxt_parse_size("12Q", "s", &v), MXT_EINVAL);
    CHECK_EQ_INT(mxt_parse_size("-1", "s", &v), MXT_EINVAL);
}

MXT_TEST(names_round_trip) {
    enum mxt_schedule s;
    CHECK_EQ_INT(mxt_schedule_parse("cake-mkn", &s), 0);
    CHECK_EQ_INT(s, MXT_SCHED_CAKE_MKN);
    CHECK(strcmp(mxt_schedule_name(MXT_SCHED_GOTO), "goto") == 0);
    CHECK_EQ_INT(mxt_schedule_parse("fast", &s), MXT_EINVAL);
    CHECK(strstr(mxt_last_error(), "'fast'") != NULL);
}

MXT_TEST(machine_minimal_file_defaults) {
    const char *doc =
        "{\"cores\": 4, \"caches\": [{\"level\": 2, \"size_bytes\": 1048576},"
        "{\"level\": 1, \"size_bytes\": 32768}, {\"level\": 3, \"size_bytes\": 8388608}]}";
    struct mxt_machine m;
    CHECK_EQ_INT(mxt_machine_from_json(doc, &m), 0);
    CHECK_EQ_INT(m.n_caches, 3);
    CHECK_EQ_INT(m.caches[0].level, 1);
    CHECK_EQ_INT(m.caches[0].type, MXT_CACHE_DATA);
    CHECK_EQ_INT(m.caches[0].ways, 8);
    CHECK_EQ_INT(m.caches[1].ways, 16);
    CHECK_EQ_INT(m.caches[0].line_bytes, 64);
    CHECK_EQ_INT(m.caches[0].shared_by, 1);
    CHECK_EQ_INT(m.caches[2].shared_by, 4);
    CHECK_EQ_INT(m.caches[2].usable_bytes, 8388608);
    CHECK(m.n_assumed >= 10);
}

MXT_TEST(machine_bad_files) {
    struct mxt_machine m;
    CHECK_EQ_INT(mxt_machine_from_json("{", &m), MXT_EFORMAT);
    CHECK_EQ_INT(mxt_machine_from_json("[]", &m), MXT_EFORMAT);
    CHECK_EQ_INT(mxt_machine_from_json("{\"caches\": [{\"level\":1,\"size_bytes\":32768}]}", &m),
                 MXT_EFORMAT);
    CHECK(strstr(mxt_last_error(), "cores") != NULL);
    CHECK_EQ_INT(mxt_machine_from_json("{\"cores\": 2, \"caches\": []}", &m), MXT_EFORMAT);
    CHECK_EQ_INT(mxt_machine_from_json("{\"cores\": 2, \"caches\": [{\"level\": 1}]}", &m),
                 MXT_EFORMAT);
    CHECK(strstr(mxt_last_error(), "size_bytes") != NULL);
    CHECK_EQ_INT(mxt_machine_from_json(
                     "{\"cores\": 2, \"caches\": [{\"level\": 1, \"size_bytes\": \"big\"}]}", &m),
                 MXT_EFORMAT);
    CHECK_EQ_INT(mxt_machine_from_json("{\"schema\": \"mxtune.machine/2\", \"cores\": 2, "
                                       "\"caches\": [{\"level\": 1, \"size_bytes\": 32768}]}",
                                       &m),
                 MXT_EFORMAT);
    CHECK_EQ_INT(mxt_machine_load_file("/nonexistent/machine.json", &m), MXT_EIO);
}

MXT_TEST(machine_json_round_trip) {
    struct mxt_machine a, b;
    mxt_machine_init(&a);
    mxt_strlcpy(a.fingerprint, "0123456789abcdef", sizeof a.fingerprint);
    mxt_strlcpy(a.vendor, "AuthenticAMD", sizeof a.vendor);
    a.cores = 2;
    a.n_caches = 2;
    a.caches[0] = (struct mxt_cache){.level = 1,
                                     .type = MXT_CACHE_DATA,
                                     .size_bytes = 49152,
                                     .usable_bytes = 45056,
                                     .line_bytes = 64,
                                     .ways = 12,
                                     .shared_by = 1,
                                     .latency_ns = 1.14,
                                     .provenance = MXT_PROV_MEASURED,
                                     .confidence = 0.9};
    a.caches[1] = (struct mxt_cache){.level = 2,
                                     .size_bytes = 1048576,
                                     .usable_bytes = 983040,
                                     .line_bytes = 64,
                                     .ways = 16,
                                     .shared_by = 2,
                                     .provenance = MXT_PROV_MEASURED,
                                     .confidence = 0.8};
    a.dram.read_1t = 31.25;
    a.compute.f32_all = 445.5;
    mxt_machine_add_prior(&a, "L3 size", 532676608, MXT_PROV_CPUID, 0, "larger than any plateau");
    char *doc = NULL;
    CHECK_EQ_INT(mxt_machine_to_json(&a, 1, &doc), 0);
    int rc = mxt_machine_from_json(doc, &b);
    free(doc);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(b.caches[0].usable_bytes, 45056);
    CHECK_EQ_INT(b.caches[1].shared_by, 2);
    CHECK_NEAR(b.caches[0].latency_ns, 1.14, 1e-9);
    CHECK_NEAR(b.dram.read_1t, 31.25, 1e-9);
    CHECK_NEAR(b.compute.f32_all, 445.5, 1e-9);
    CHECK_EQ_INT(b.n_priors, 1);
    CHECK_EQ_INT(b.priors[0].used, 0);
    CHECK_EQ_INT(b.priors[0].value, 532676608);
    CHECK(strcmp(b.fingerprint, a.fingerprint) == 0);
    CHECK_EQ_INT(b.n_assumed, 0);
}
