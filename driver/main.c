/*
 * kaplac: the command-line driver.
 *
 * It parses the command line, runs one job over the library (lint, prove or
 * solve) and decides where text goes: diagnostics to stderr, results
 * (summaries, schemes, JSON, SARIF) to stdout or -o FILE.  Exit codes:
 * 0 clean, 1 errors found, 2 usage or I/O, 3 internal failure.
 */
#define _XOPEN_SOURCE 700 /* realpath, mkstemp, fchmod, fsync */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kaplac/kaplac.h"

enum exit_code {
    EXIT_CLEAN = 0,
    EXIT_FOUND = 1,
    EXIT_USAGE = 2,
    EXIT_INTERNAL = 3,
};

enum job { JOB_LINT, JOB_PROVE, JOB_SOLVE, JOB_LIST, JOB_COUNT };
enum format { FORMAT_TEXT, FORMAT_JSON, FORMAT_SARIF };

/* The jobs an option applies to, one bit per job. */
enum job_set {
    FOR_LINT = 1u << JOB_LINT,
    FOR_PROVE = 1u << JOB_PROVE,
    FOR_SOLVE = 1u << JOB_SOLVE,
    FOR_RUNS = FOR_LINT | FOR_PROVE | FOR_SOLVE,
};

/* The options other than jobs (--prove, --solve, --list), --help and
 * --version; an option given to a job it does not apply to is an error. */
struct option_spec {
    const char *name;
    bool takes_value;
    unsigned jobs;
};

static const struct option_spec option_specs[] = {
    {"--network", true, FOR_SOLVE},
    {"--arch", true, FOR_SOLVE},
    {"--batch", true, FOR_SOLVE},
    {"--training", false, FOR_SOLVE},
    {"--goal", true, FOR_SOLVE},
    {"--exhaustive", false, FOR_SOLVE},
    {"--depth", true, FOR_SOLVE},
    {"--keep", true, FOR_SOLVE},
    {"--threads", true, FOR_SOLVE},
    {"--time-limit", true, FOR_SOLVE},
    {"--format", true, FOR_LINT | FOR_PROVE},
    {"--per-layer", false, FOR_LINT},
    {"--prove-timeout", true, FOR_PROVE},
    {"-Werror", false, FOR_LINT | FOR_PROVE},
    {"-q", false, FOR_RUNS},
    {"--quiet", false, FOR_RUNS},
    {"-o", true, FOR_RUNS},
};

#define OPTION_COUNT (sizeof option_specs / sizeof option_specs[0])

struct options {
    enum job job;
    bool help;
    bool version;
    const struct option_spec *given[OPTION_COUNT]; /* in first-use order */
    int ngiven;
    enum format format;
    const char *output;
    const char *network;
    const char *arch;
    int64_t batch;
    bool training;
    bool per_layer;
    bool werror;
    bool quiet;
    unsigned prove_timeout_ms;
    struct kpl_solve_opts solve;
    int nfile;
    char **files;
};

static const char usage_text[] =
    "usage: kaplac [OPTION]... FILE...\n"
    "       kaplac --prove [OPTION]... FILE...\n"
    "       kaplac --solve [--network NAME] [--arch NAME] [OPTION]... "
    "[FILE]...\n"
    "       kaplac --list\n"
    "\n"
    "Checks, proves or synthesizes dataflow schemes of multi-node\n"
    "neural-network accelerators.\n"
    "\n"
    "Jobs (lint is the default):\n"
    "  (none)              check every scheme in FILE...: diagnostics on\n"
    "                      stderr, estimated energy and time on stdout\n"
    "  --prove             prove capacity, fan-out, coverage and\n"
    "                      containment of every scheme with Z3\n"
    "  --solve             synthesize a scheme for --network on --arch\n"
    "  --list              list the bundled networks and presets\n"
    "\n"
    "Lint and prove options:\n"
    "  --format F          text (default), json or sarif\n"
    "  -Werror             treat warnings as errors\n"
    "  --per-layer         per-layer energy table (lint only)\n"
    "  --prove-timeout MS  time limit per proof obligation (--prove only,\n"
    "                      default 10000)\n"
    "\n"
    "Solve options:\n"
    "  --network NAME      network to map (default alexnet); bundled or\n"
    "                      defined in FILE...\n"
    "  --arch NAME         hardware (default multinode); bundled or in\n"
    "                      FILE...\n"
    "  --batch N           batch size (default 64)\n"
    "  --training          map the training graph (backward layers)\n"
    "  --goal G            energy (default), delay or edp\n"
    "  --exhaustive        exhaustive search of the same space (slow)\n"
    "  --depth N           layers per segment at most\n"
    "  --keep N            segment chains kept by the search (default 4)\n"
    "  --threads N         worker threads (default 1)\n"
    "  --time-limit S      return the best scheme found after S seconds\n"
    "\n"
    "Options of lint, prove and solve:\n"
    "  -o FILE             write what goes to stdout (summary, JSON,\n"
    "                      SARIF or the solved scheme) to FILE instead\n"
    "  -q, --quiet         no summary, diagnostics only\n"
    "\n"
    "  -h, --help          this text; other valid options are ignored\n"
    "  --version           the version\n"
    "\n"
    "An option given to a job it does not apply to is an error; an option\n"
    "given twice keeps its last value.\n"
    "\n"
    "Exit status: 0 clean, 1 errors found, 2 usage or I/O error,\n"
    "3 internal failure.\n";

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    fprintf(stderr, "kaplac: error: ");
    vfprintf(stderr, fmt, args);
    fprintf(stderr, "\nTry 'kaplac --help' for more information.\n");
    va_end(args);
    return EXIT_USAGE;
}

/* The largest --batch: the language's limit on a scheme's batch (and on
 * any extent), so that --batch accepts what a scheme may say.  A large
 * batch can make the solve of a large network slow. */
#define MAX_BATCH ((long long)1 << 30)

/* Parses a whole number in [min, max]. */
static bool parse_count(const char *text, long long min, long long max,
                        long long *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max) {
        return false;
    }
    *out = v;
    return true;
}

/* What a bundled file declares: KPL_ITEM_NETWORK, KPL_ITEM_ARCH, or
 * KPL_ITEM_IMPORT for neither (or when it cannot be loaded). */
static enum kpl_item_kind bundled_kind(const struct kpl_bundled_file *file)
{
    enum kpl_item_kind kind = KPL_ITEM_IMPORT;
    struct kpl_program *prog = kpl_program_new();
    if (prog == NULL || kpl_program_load_bundled(prog, file->name) != 0 ||
        prog->nroot == 0) {
        kpl_program_free(prog);
        return kind;
    }
    for (const struct kpl_item *it = prog->roots[0]->items; it;
         it = it->next) {
        if (it->kind == KPL_ITEM_NETWORK || it->kind == KPL_ITEM_ARCH) {
            kind = it->kind;
            break;
        }
    }
    kpl_program_free(prog);
    return kind;
}

/* --list: networks and arch presets apart, each under the option that
 * takes it, so that a preset is not mistaken for a network. */
static void list_bundled(void)
{
    static const struct {
        enum kpl_item_kind kind;
        const char *title;
    } groups[] = {
        {KPL_ITEM_NETWORK, "bundled networks (--network NAME):"},
        {KPL_ITEM_ARCH, "bundled arch presets (--arch NAME):"},
    };
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        printf("%s%s\n", g > 0 ? "\n" : "", groups[g].title);
        for (const struct kpl_bundled_file *f = kpl_bundled; f->name; f++) {
            if (bundled_kind(f) == groups[g].kind) {
                printf("  %s\n", f->name);
            }
        }
    }
}

/* Options that take a value; returns the value or NULL (reported). */
static const char *take_value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        usage_error("option '%s' needs a value", argv[*i]);
        return NULL;
    }
    *i += 1;
    return argv[*i];
}

static int parse_number_option(const char *name, const char *value,
                               long long min, long long max, long long *out)
{
    if (!parse_count(value, min, max, out)) {
        fprintf(stderr,
                "kaplac: error: %s takes a whole number from %lld to %lld, "
                "not '%s'\n", name, min, max, value);
        return EXIT_USAGE;
    }
    return EXIT_CLEAN;
}

static int parse_valued(struct options *o, const char *opt,
                        const char *value)
{
    long long n = 0;
    int rc = EXIT_CLEAN;
    if (strcmp(opt, "--network") == 0) {
        o->network = value;
    } else if (strcmp(opt, "--arch") == 0) {
        o->arch = value;
    } else if (strcmp(opt, "-o") == 0) {
        o->output = value;
    } else if (strcmp(opt, "--batch") == 0) {
        rc = parse_number_option(opt, value, 1, MAX_BATCH, &n);
        o->batch = n;
    } else if (strcmp(opt, "--depth") == 0) {
        rc = parse_number_option(opt, value, 1, 64, &n);
        o->solve.depth = (int)n;
    } else if (strcmp(opt, "--keep") == 0) {
        rc = parse_number_option(opt, value, 1, 1000, &n);
        o->solve.keep = (int)n;
    } else if (strcmp(opt, "--threads") == 0) {
        rc = parse_number_option(opt, value, 1, 256, &n);
        o->solve.threads = (int)n;
    } else if (strcmp(opt, "--time-limit") == 0) {
        rc = parse_number_option(opt, value, 1, 1000000, &n);
        o->solve.time_limit = (double)n;
    } else if (strcmp(opt, "--prove-timeout") == 0) {
        rc = parse_number_option(opt, value, 1, 3600000, &n);
        o->prove_timeout_ms = (unsigned)n;
    } else if (strcmp(opt, "--goal") == 0) {
        if (strcmp(value, "energy") == 0) {
            o->solve.goal = KPL_GOAL_ENERGY;
        } else if (strcmp(value, "delay") == 0) {
            o->solve.goal = KPL_GOAL_DELAY;
        } else if (strcmp(value, "edp") == 0) {
            o->solve.goal = KPL_GOAL_EDP;
        } else {
            return usage_error("--goal takes energy, delay or edp, not '%s'",
                               value);
        }
    } else if (strcmp(opt, "--format") == 0) {
        if (strcmp(value, "text") == 0) {
            o->format = FORMAT_TEXT;
        } else if (strcmp(value, "json") == 0) {
            o->format = FORMAT_JSON;
        } else if (strcmp(value, "sarif") == 0) {
            o->format = FORMAT_SARIF;
        } else {
            return usage_error("--format takes text, json or sarif, not "
                               "'%s'", value);
        }
    } else {
        return usage_error("unknown option '%s'", opt);
    }
    return rc;
}

static const struct option_spec *find_option(const char *name)
{
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        if (strcmp(name, option_specs[i].name) == 0) {
            return &option_specs[i];
        }
    }
    return NULL;
}

/* Records that spec was given, once, in command-line order. */
static void note_given(struct options *o, const struct option_spec *spec)
{
    for (int i = 0; i < o->ngiven; i++) {
        if (o->given[i] == spec) {
            return;
        }
    }
    o->given[o->ngiven++] = spec;
}

static void parse_switch(struct options *o, const char *arg)
{
    if (strcmp(arg, "--training") == 0) {
        o->training = true;
    } else if (strcmp(arg, "--exhaustive") == 0) {
        o->solve.exhaustive = true;
    } else if (strcmp(arg, "--per-layer") == 0) {
        o->per_layer = true;
    } else if (strcmp(arg, "-Werror") == 0) {
        o->werror = true;
    } else {
        o->quiet = true; /* -q, --quiet */
    }
}

static const char *job_name(enum job job)
{
    static const char *const names[JOB_COUNT] = {
        [JOB_LINT] = "lint", [JOB_PROVE] = "--prove",
        [JOB_SOLVE] = "--solve", [JOB_LIST] = "--list",
    };
    return names[job];
}

/* Chooses the job; two different jobs on one line are an error. */
static int parse_job(struct options *o, enum job job)
{
    if (o->job != JOB_LINT && o->job != job) {
        return usage_error("%s and %s do not combine", job_name(o->job),
                           job_name(job));
    }
    o->job = job;
    return -1;
}

/* Jobs, --help and --version; returns -1 to go on, or an exit code. */
static int parse_flag(struct options *o, const char *arg)
{
    if (strcmp(arg, "--prove") == 0) {
        return parse_job(o, JOB_PROVE);
    } else if (strcmp(arg, "--solve") == 0) {
        return parse_job(o, JOB_SOLVE);
    } else if (strcmp(arg, "--list") == 0) {
        return parse_job(o, JOB_LIST);
    } else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
        o->help = true;
    } else if (strcmp(arg, "--version") == 0) {
        o->version = true;
    } else {
        return usage_error("unknown option '%s'", arg);
    }
    return -1;
}

/* One option of the command line at argv[*i]; returns -1 to go on, or an
 * exit code.  An option that takes a value consumes the next argument. */
static int parse_option(int argc, char **argv, int *i, struct options *o)
{
    const char *arg = argv[*i];
    const struct option_spec *spec = find_option(arg);
    if (spec == NULL) {
        return parse_flag(o, arg);
    }

    note_given(o, spec);
    if (!spec->takes_value) {
        parse_switch(o, arg);
        return -1;
    }
    const char *value = take_value(argc, argv, i);
    if (value == NULL) {
        return EXIT_USAGE;
    }
    int rc = parse_valued(o, arg, value);
    return rc == EXIT_CLEAN ? -1 : rc;
}

/*
 * Reads the whole command line; a later option overrides an earlier one.
 * Returns -1 to go on, or an exit code: an unknown option, a missing or
 * malformed value, or two jobs are errors even next to --help.
 */
static int parse_args(int argc, char **argv, struct options *o)
{
    memset(o, 0, sizeof *o);
    o->batch = 64;
    o->prove_timeout_ms = 10000;
    o->files = calloc((size_t)argc + 1, sizeof *o->files);
    if (o->files == NULL) {
        return EXIT_INTERNAL;
    }
    bool only_files = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (only_files || arg[0] != '-' || strcmp(arg, "-") == 0) {
            o->files[o->nfile++] = argv[i];
        } else if (strcmp(arg, "--") == 0) {
            only_files = true;
        } else {
            int rc = parse_option(argc, argv, &i, o);
            if (rc >= 0) {
                return rc;
            }
        }
    }
    return -1;
}

/* "lint and --prove", "--solve", ...: the jobs of a job set. */
static void describe_jobs(unsigned jobs, char *text, size_t size)
{
    int count = 0;
    int total = 0;
    for (int j = 0; j < JOB_COUNT; j++) {
        total += (jobs >> j) & 1u;
    }
    text[0] = '\0';
    for (int j = 0; j < JOB_COUNT; j++) {
        if (((jobs >> j) & 1u) == 0) {
            continue;
        }
        const char *sep = count == 0          ? ""
                          : count + 1 < total ? ", "
                                              : " and ";
        size_t used = strlen(text);
        snprintf(text + used, size - used, "%s%s", sep,
                 job_name((enum job)j));
        count++;
    }
}

/* An option given to a job it does not apply to is a usage error: it
 * would be ignored silently.  Returns -1 to go on, or an exit code. */
static int check_options_fit_job(const struct options *o)
{
    for (int i = 0; i < o->ngiven; i++) {
        const struct option_spec *spec = o->given[i];
        if ((spec->jobs & (1u << o->job)) != 0) {
            continue;
        }
        char jobs[64];
        describe_jobs(spec->jobs, jobs, sizeof jobs);
        return usage_error("option '%s' applies only to %s, not to %s",
                           spec->name, jobs,
                           o->job == JOB_LINT ? "lint (the default job)"
                                              : job_name(o->job));
    }
    if (o->job == JOB_LIST && o->nfile > 0) {
        return usage_error("--list takes no file, but was given '%s'",
                           o->files[0]);
    }
    return -1;
}

/*
 * What the command line asks before any file is read: --help and
 * --version win over the rest of the line, then options that do not fit
 * the job are refused, then --list runs.  Returns -1 to go on, or an exit
 * code.
 */
static int answer_or_refuse(const struct options *o)
{
    if (o->help) {
        fputs(usage_text, stdout);
        return EXIT_CLEAN;
    }
    if (o->version) {
        printf("kaplac %s\n", KPL_VERSION);
        return EXIT_CLEAN;
    }
    int rc = check_options_fit_job(o);
    if (rc >= 0) {
        return rc;
    }
    if (o->job == JOB_LIST) {
        list_bundled();
        return EXIT_CLEAN;
    }
    if (o->nfile == 0 && o->job != JOB_SOLVE) {
        return usage_error("%s", "no input file");
    }
    return -1;
}

/* Standard input larger than this is refused, as the loader refuses a
 * larger file. */
#define MAX_STDIN_BYTES ((size_t)64 << 20)

/* Doubles the buffer *text of *cap bytes; false with *why set (and *text
 * freed) when it may not or cannot grow. */
static bool grow_buffer(char **text, size_t *cap, const char **why)
{
    if (*cap >= MAX_STDIN_BYTES) {
        *why = "larger than 64 MiB";
    } else {
        char *bigger = realloc(*text, *cap * 2);
        if (bigger != NULL) {
            *text = bigger;
            *cap *= 2;
            return true;
        }
        *why = "out of memory";
    }
    free(*text);
    *text = NULL;
    return false;
}

/* Reads standard input whole; NULL with the reason in *why on error.  A
 * closed standard input is an error, not an empty file. */
static char *read_stdin(size_t *len, const char **why)
{
    if (fcntl(STDIN_FILENO, F_GETFD) == -1) {
        *why = "it is closed";
        return NULL;
    }
    size_t cap = 8192;
    size_t used = 0;
    char *text = malloc(cap);
    *why = "out of memory";
    while (text != NULL) {
        size_t got = fread(text + used, 1, cap - used, stdin);
        used += got;
        if (got == 0 || (cap - used < 1024 && !grow_buffer(&text, &cap, why))) {
            break;
        }
    }
    if (text != NULL && ferror(stdin)) {
        *why = strerror(errno != 0 ? errno : EIO);
        free(text);
        text = NULL;
    }
    *len = used;
    return text;
}

/* Loads one FILE ("-" is standard input); false on an I/O error. */
static bool load_one(struct kpl_program *prog, const char *file)
{
    if (strcmp(file, "-") != 0) {
        return kpl_program_load_file(prog, file) == 0;
    }
    size_t len = 0;
    const char *why = NULL;
    char *text = read_stdin(&len, &why);
    if (text == NULL) {
        kpl_error(&prog->diags, "io", kpl_span_none(),
                  "cannot read standard input: %s", why);
        return false;
    }
    bool ok = kpl_program_load_text(prog, "<stdin>", text, len) == 0;
    free(text);
    return ok;
}

static bool write_stream(FILE *fp, const struct kpl_buf *buf)
{
    return fwrite(buf->data ? buf->data : "", 1, buf->len, fp) == buf->len;
}

static void report_write_error(const char *path, int err)
{
    fprintf(stderr, "kaplac: error: cannot write '%s': %s\n", path,
            strerror(err));
}

/* Writes buf to fp and closes it; returns 0 or the errno of the failure.
 * sync makes the data durable first (before a rename publishes it). */
static int write_and_close(FILE *fp, const struct kpl_buf *buf, bool sync)
{
    errno = 0;
    int err = 0;
    if (!write_stream(fp, buf) || fflush(fp) != 0 ||
        (sync && fsync(fileno(fp)) != 0)) {
        err = errno != 0 ? errno : EIO;
    }
    if (fclose(fp) != 0 && err == 0) {
        err = errno != 0 ? errno : EIO;
    }
    return err;
}

/* Truncates path and writes buf into it: for devices and pipes, which
 * hold nothing to lose, and for files in directories we may not add to. */
static bool write_in_place(const char *path, const struct kpl_buf *buf)
{
    FILE *fp = fopen(path, "w");
    int err = fp != NULL ? write_and_close(fp, buf, false) : errno;
    if (err != 0) {
        report_write_error(path, err);
    }
    return err == 0;
}

/* The permissions a new file gets: what fopen would give it. */
static mode_t new_file_mode(void)
{
    mode_t mask = umask(0);
    umask(mask);
    return (mode_t)0666 & ~mask;
}

/* "DIR/.kaplac-XXXXXX" beside dest, for mkstemp; NULL when out of memory. */
static char *temp_name_beside(const char *dest)
{
    const char *slash = strrchr(dest, '/');
    int dir_len = slash ? (int)(slash - dest + 1) : 0;
    size_t size = (size_t)dir_len + sizeof ".kaplac-XXXXXX";
    char *name = malloc(size);
    if (name != NULL) {
        snprintf(name, size, "%.*s.kaplac-XXXXXX", dir_len, dest);
    }
    return name;
}

/* Gives the temporary file fd its permissions and fills it with buf;
 * closes fd.  Returns 0 or the errno of the failure. */
static int fill_temp(int fd, mode_t mode, const struct kpl_buf *buf)
{
    FILE *fp = fchmod(fd, mode) == 0 ? fdopen(fd, "w") : NULL;
    if (fp == NULL) {
        int err = errno;
        close(fd);
        return err;
    }
    return write_and_close(fp, buf, true);
}

/*
 * Writes buf to a temporary file in the target's directory and renames it
 * over the target, so the target is either untouched or complete.  A
 * symbolic link is followed: the file it points to is replaced.  old is
 * the target's status, NULL when it does not exist yet.
 */
static bool replace_file(const char *path, const struct stat *old,
                         const struct kpl_buf *buf)
{
    char real[PATH_MAX];
    const char *dest = old != NULL && realpath(path, real) ? real : path;
    char *temp = temp_name_beside(dest);
    if (temp == NULL) {
        fprintf(stderr, "kaplac: error: out of memory\n");
        return false;
    }

    int fd = mkstemp(temp);
    if (fd < 0) {
        int err = errno;
        free(temp);
        if (old != NULL && err == EACCES) {
            return write_in_place(path, buf);
        }
        report_write_error(path, err);
        return false;
    }

    mode_t mode = old != NULL ? old->st_mode & 07777 : new_file_mode();
    int err = fill_temp(fd, mode, buf);
    if (err == 0 && rename(temp, dest) != 0) {
        err = errno;
    }
    if (err != 0) {
        report_write_error(path, err);
        unlink(temp);
    }
    free(temp);
    return err == 0;
}

/* Writes the run's output to standard output, or to path (-o). */
static bool write_output(const char *path, const struct kpl_buf *buf)
{
    if (buf->failed) {
        fprintf(stderr, "kaplac: error: out of memory\n");
        return false;
    }
    if (path == NULL) {
        bool ok = write_stream(stdout, buf) && fflush(stdout) == 0;
        if (!ok) {
            fprintf(stderr, "kaplac: error: cannot write standard output\n");
        }
        return ok;
    }

    struct stat st;
    bool exists = stat(path, &st) == 0;
    if (exists && !S_ISREG(st.st_mode)) {
        return write_in_place(path, buf);
    }
    return replace_file(path, exists ? &st : NULL, buf);
}

static void print_diags(struct kpl_diags *diags)
{
    struct kpl_buf buf;
    kpl_buf_init(&buf);
    kpl_diags_render_text(diags, &buf);
    fwrite(buf.data ? buf.data : "", 1, buf.len, stderr);
    kpl_buf_free(&buf);
}

/*
 * Lint and prove compile each FILE on its own, as a C compiler does: every
 * file has its own names, and an error in one hides nothing in another.
 * The batch collects every program's diagnostics in one sink, in order.
 */
struct batch {
    struct kpl_arena *arena;
    struct kpl_diags diags;
    struct kpl_program **progs;
    int nprog;
    bool io_failed;     /* a FILE could not be read */
    bool oom;
    int nscheme;        /* schemes declared in the FILEs */
};

static void merge_diags(struct kpl_diags *into, const struct kpl_diags *from)
{
    if (from->head != NULL) {
        if (into->tail == NULL) {
            into->head = from->head;
        } else {
            into->tail->next = from->head;
        }
        into->tail = from->tail;
    }
    into->nerrors += from->nerrors;
    into->nwarnings += from->nwarnings;
    into->count += from->count;
    into->dropped += from->dropped;
}

/* Compiles FILE i into a new program of the batch; NULL when out of memory. */
static struct kpl_program *compile_one(struct batch *b, const char *file)
{
    struct kpl_program *prog = kpl_program_new();
    if (prog == NULL) {
        b->oom = true;
        return NULL;
    }
    b->progs[b->nprog++] = prog;
    b->io_failed = !load_one(prog, file) || b->io_failed;
    kpl_program_resolve(prog);
    for (int i = 0; i < prog->nscheme; i++) {
        b->nscheme += prog->scheme_rooted[i];
    }
    return prog;
}

static void compile_all(struct batch *b, const struct options *o)
{
    for (int f = 0; f < o->nfile; f++) {
        if (compile_one(b, o->files[f]) == NULL) {
            return;
        }
    }
}

static void finish_one(struct batch *b, struct kpl_program *prog)
{
    b->oom = b->oom || kpl_arena_failed(prog->arena);
    merge_diags(&b->diags, &prog->diags);
}

static bool batch_init(struct batch *b, int nfile)
{
    memset(b, 0, sizeof *b);
    b->arena = kpl_arena_new();
    b->progs = calloc((size_t)nfile + 1, sizeof *b->progs);
    if (b->arena == NULL || b->progs == NULL) {
        kpl_arena_free(b->arena);
        free(b->progs);
        return false;
    }
    kpl_diags_init(&b->diags, b->arena);
    b->diags.max_count = 0; /* each program capped its own already */
    return true;
}

static void batch_free(struct batch *b)
{
    for (int i = 0; i < b->nprog; i++) {
        kpl_program_free(b->progs[i]);
    }
    free(b->progs);
    kpl_arena_free(b->arena);
}

/* Exit code from the batch's diagnostics. */
static int verdict(const struct batch *b, const struct options *o)
{
    if (b->oom) {
        return EXIT_INTERNAL;
    }
    if (b->io_failed) {
        return EXIT_USAGE;
    }
    if (b->diags.nerrors > 0 || (o->werror && b->diags.nwarnings > 0)) {
        return EXIT_FOUND;
    }
    return EXIT_CLEAN;
}

/* Says that a failed run left the -o file as it was. */
static void note_not_written(const struct options *o)
{
    if (o->output != NULL) {
        fprintf(stderr, "kaplac: note: -o '%s' not written: the run "
                "failed\n", o->output);
    }
}

/*
 * Writes the run's output: text to stdout and diagnostics to stderr, or one
 * JSON or SARIF document holding everything.  A run that failed (exit 2 or
 * 3) leaves an -o file as it was; its diagnostics then go to stderr as
 * text, whatever the format.
 */
static int emit(struct batch *b, const struct options *o, struct kpl_buf *out,
                int code)
{
    bool failed = code == EXIT_USAGE || code == EXIT_INTERNAL;
    if (failed && o->output != NULL) {
        print_diags(&b->diags);
        note_not_written(o);
        return code;
    }

    if (o->format == FORMAT_JSON && o->job == JOB_LINT) {
        kpl_diags_render_json(&b->diags, ".", out);
    } else if (o->format == FORMAT_SARIF) {
        kpl_diags_render_sarif(&b->diags, ".", out);
    } else if (o->format == FORMAT_TEXT) {
        print_diags(&b->diags);
    }
    bool ok = write_output(o->output, out);
    return ok ? code : EXIT_USAGE;
}

/*
 * -Werror: turns every warning of diags into an error, as if it had been
 * reported so (text, JSON and SARIF then say "error"); returns how many,
 * those beyond the cap that were counted but not kept included.
 */
static int promote_warnings(struct kpl_diags *diags)
{
    for (struct kpl_diag *d = diags->head; d != NULL; d = d->next) {
        if (d->severity == KPL_SEV_WARNING) {
            d->severity = KPL_SEV_ERROR;
        }
    }
    int promoted = diags->nwarnings;
    diags->nerrors += promoted;
    diags->nwarnings = 0;
    return promoted;
}

/* Checks one scheme; a scheme with errors (warnings under -Werror) gets
 * no energy summary. */
static void lint_scheme(struct kpl_program *prog, const struct options *o,
                        const struct kpl_scheme *scheme, struct kpl_buf *out)
{
    int errors = kpl_check_scheme(scheme, &prog->diags);
    if (o->werror) {
        errors += promote_warnings(&prog->diags);
    }
    if (errors > 0 || o->quiet || o->format != FORMAT_TEXT) {
        return;
    }
    struct kpl_scheme_cost cost;
    if (kpl_cost_scheme(scheme, prog->arena, &cost) != 0) {
        return;
    }
    kpl_buf_printf(out, "scheme '%s' (%s on %s, batch %lld):\n",
                   scheme->name, scheme->net->name, scheme->arch->name,
                   (long long)scheme->batch);
    kpl_cost_render_text(scheme, &cost, o->per_layer, out);
}

static void summarize_network(const struct kpl_network *net,
                              struct kpl_buf *out)
{
    int64_t ops = 0;
    for (int i = 0; i < net->nlayer; i++) {
        ops = kpl_add_sat(ops, kpl_layer_ops(&net->layers[i], 1));
    }
    kpl_buf_printf(out, "network '%s': %d layer%s, %lld MACs per image\n",
                   net->name, net->nlayer, net->nlayer == 1 ? "" : "s",
                   (long long)ops);
}

/*
 * When the FILEs declare no scheme and have no errors, text output says so
 * (lint and prove alike) after each network's layer and MAC counts, so
 * that a clean run never prints nothing.
 */
static void report_no_scheme(const struct batch *b, const struct options *o,
                             struct kpl_buf *out)
{
    if (b->nscheme > 0 || o->format != FORMAT_TEXT || o->quiet ||
        b->diags.nerrors > 0) {
        return;
    }
    for (int p = 0; p < b->nprog; p++) {
        for (int i = 0; i < b->progs[p]->nnet; i++) {
            summarize_network(b->progs[p]->nets[i], out);
        }
    }
    kpl_buf_printf(out, "no scheme to %s\n",
                   o->job == JOB_PROVE ? "prove" : "check");
}

static void lint_program(struct kpl_program *prog, const struct options *o,
                         struct kpl_buf *out)
{
    if (o->werror) {
        promote_warnings(&prog->diags); /* any from loading, resolving */
    }
    for (int i = 0; i < prog->nscheme; i++) {
        if (prog->scheme_rooted[i] && prog->schemes[i] != NULL) {
            lint_scheme(prog, o, prog->schemes[i], out);
        }
    }
}

static int run_lint(struct batch *b, const struct options *o)
{
    struct kpl_buf out;
    kpl_buf_init(&out);
    for (int p = 0; p < b->nprog; p++) {
        lint_program(b->progs[p], o, &out);
        finish_one(b, b->progs[p]);
    }
    report_no_scheme(b, o, &out);

    int code = emit(b, o, &out, verdict(b, o));
    kpl_buf_free(&out);
    return code;
}

static void render_proof_summary(const struct kpl_proof *proof,
                                 struct kpl_buf *out)
{
    kpl_buf_printf(out,
                   "scheme '%s': %d obligations, %d proved, %d violated, "
                   "%d unknown (%.2f s)\n",
                   proof->scheme->name, proof->count, proof->proved,
                   proof->violated, proof->unknown, proof->seconds);
}

/*
 * Proves every scheme of one program.  The segment rules (membership,
 * order, segment capacity) involve no iteration index: kpl_prove_scheme
 * decides them by the checker's arithmetic and counts each failure as a
 * violated obligation.  Returns the number of obligations not proved, or
 * -1.
 */
static int prove_program(struct kpl_program *prog, const struct options *o,
                         const struct kpl_prove_opts *popts,
                         struct kpl_buf *out, int *nproof)
{
    int unproved = 0;
    for (int i = 0; i < prog->nscheme; i++) {
        if (!prog->scheme_rooted[i] || prog->schemes[i] == NULL) {
            continue;
        }
        struct kpl_proof proof;
        memset(&proof, 0, sizeof proof);
        int rc = kpl_prove_scheme(prog->schemes[i], popts, prog->arena,
                                  &prog->diags, &proof);
        if (rc < 0) {
            return -1;
        }
        if (o->werror) {
            promote_warnings(&prog->diags); /* before the JSON shows them */
        }
        unproved += rc;
        if (o->format == FORMAT_JSON) {
            kpl_buf_puts(out, *nproof > 0 ? ",\n" : "\n");
            kpl_proof_render_json(&proof, &prog->diags, ".", out);
        } else if (o->format == FORMAT_TEXT && !o->quiet) {
            render_proof_summary(&proof, out);
        }
        (*nproof)++;
    }
    return unproved;
}

static int run_prove(struct batch *b, const struct options *o)
{
    struct kpl_prove_opts popts;
    kpl_prove_opts_init(&popts);
    popts.timeout_ms = o->prove_timeout_ms;

    struct kpl_buf out;
    kpl_buf_init(&out);
    if (o->format == FORMAT_JSON) {
        kpl_buf_puts(&out, "{\"version\": 1, \"proofs\": [");
    }
    int nproof = 0;
    bool failed = false;
    bool proved_all = true;
    for (int p = 0; p < b->nprog && !failed; p++) {
        int rc = prove_program(b->progs[p], o, &popts, &out, &nproof);
        failed = rc < 0;
        proved_all = proved_all && rc == 0;
        finish_one(b, b->progs[p]);
    }
    report_no_scheme(b, o, &out);
    if (o->format == FORMAT_JSON) {
        /* Every diagnostic, also those no obligation owns (syntax, I/O). */
        kpl_buf_puts(&out, "\n], \"diagnostics\": ");
        kpl_diags_render_json(&b->diags, ".", &out);
        kpl_buf_puts(&out, "}\n");
    }

    int code = failed ? EXIT_INTERNAL : verdict(b, o);
    if (code == EXIT_CLEAN && !proved_all) {
        code = EXIT_FOUND;
    }
    code = emit(b, o, &out, code);
    kpl_buf_free(&out);
    return code;
}

/* Loads a bundled file for name unless FILE... already defines it. */
static void load_default(struct kpl_program *prog, const char *name)
{
    if (kpl_bundled_find(name) == NULL) {
        return;
    }
    for (int f = 0; f < prog->nfile; f++) {
        for (const struct kpl_item *it = prog->files[f]->items; it;
             it = it->next) {
            const char *defined = it->kind == KPL_ITEM_NETWORK
                                      ? (it->network ? it->network->name
                                                     : NULL)
                                  : it->kind == KPL_ITEM_ARCH
                                      ? (it->arch ? it->arch->name : NULL)
                                      : NULL;
            if (defined != NULL && strcmp(defined, name) == 0) {
                return;
            }
        }
    }
    kpl_program_load_bundled(prog, name);
}

/*
 * The progress line: shown on a terminal only, once the solve has taken a
 * second, rewritten in place, and cleared before anything else is printed.
 */
struct progress {
    bool shown;
};

static void show_progress(void *user, double done, double elapsed)
{
    struct progress *p = user;
    if (elapsed < 1.0) {
        return;
    }
    fprintf(stderr, "\rkaplac: solving... %3.0f%% (%.0f s)", done * 100.0,
            elapsed);
    fflush(stderr);
    p->shown = true;
}

static void clear_progress(const struct progress *p)
{
    if (p->shown) {
        fprintf(stderr, "\r%40s\r", "");
    }
}

static int run_solve(struct kpl_program *prog, struct options *o)
{
    const char *net_name = o->network ? o->network : "alexnet";
    const char *arch_name = o->arch ? o->arch : "multinode";

    struct kpl_solve_request req = {
        .network = net_name,
        .arch = arch_name,
        .training = o->training,
        .opts = o->solve,
    };
    req.opts.batch = o->batch;
    struct progress progress = {false};
    if (isatty(STDERR_FILENO) && !o->quiet) {
        req.opts.progress = show_progress;
        req.opts.progress_user = &progress;
    }

    struct kpl_buf scheme_text;
    kpl_buf_init(&scheme_text);
    struct kpl_buf summary;
    kpl_buf_init(&summary);
    int rc = kpl_solve_program(prog, &req, &scheme_text, &summary);
    clear_progress(&progress);
    print_diags(&prog->diags);
    if (rc == 0) {
        bool ok = write_output(o->output, &scheme_text);
        if (!o->quiet) {
            fwrite(summary.data ? summary.data : "", 1, summary.len, stderr);
        }
        rc = ok ? EXIT_CLEAN : EXIT_USAGE;
    } else {
        rc = rc == 1 ? EXIT_FOUND : EXIT_INTERNAL;
        note_not_written(o);
    }
    kpl_buf_free(&scheme_text);
    kpl_buf_free(&summary);
    return rc;
}

/* What output_read returns for standard input (compared by address). */
static const char standard_input[] = "standard input";

static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* The path of a file of prog that is the file target, or NULL. */
static const char *program_reads(const struct kpl_program *prog,
                                 const struct stat *target)
{
    static const char bundled[] = "<bundled>/";
    for (int i = 0; i < prog->nfile; i++) {
        const char *path = prog->files[i]->source->path;
        struct stat st;
        if (strncmp(path, bundled, sizeof bundled - 1) != 0 &&
            stat(path, &st) == 0 && same_file(&st, target)) {
            return path;
        }
    }
    return NULL;
}

/*
 * The file the run read (a FILE, standard_input, or an import) that -o
 * names, or NULL.  Files are compared by identity (device and inode), so
 * links and other spellings of a path count.  Only a regular file is
 * protected: a device or a pipe holds nothing that writing would destroy.
 */
static const char *output_read(const struct options *o,
                               struct kpl_program *const *progs, int nprog)
{
    struct stat target;
    if (o->output == NULL || stat(o->output, &target) != 0 ||
        !S_ISREG(target.st_mode)) {
        return NULL; /* a file that does not exist yet is no input */
    }
    for (int f = 0; f < o->nfile; f++) {
        struct stat st;
        if (strcmp(o->files[f], "-") == 0 &&
            fstat(STDIN_FILENO, &st) == 0 && same_file(&st, &target)) {
            return standard_input;
        }
    }
    for (int p = 0; p < nprog; p++) {
        const char *path = program_reads(progs[p], &target);
        if (path != NULL) {
            return path;
        }
    }
    return NULL;
}

/* Refuses an -o that names a file the run read: writing would destroy it.
 * Returns true when the output may be written. */
static bool output_spares_inputs(const struct options *o,
                                 struct kpl_program *const *progs, int nprog)
{
    const char *read = output_read(o, progs, nprog);
    if (read == NULL) {
        return true;
    }
    if (read == standard_input) {
        fprintf(stderr, "kaplac: error: -o '%s' is the file on standard "
                "input, which this run reads: it would be overwritten\n",
                o->output);
    } else {
        fprintf(stderr, "kaplac: error: -o '%s' names '%s', which this "
                "run reads: it would be overwritten\n", o->output, read);
    }
    return false;
}

/* Solve reads all FILEs into one program: they supply networks and archs. */
static int solve_main(struct options *o)
{
    struct kpl_program *prog = kpl_program_new();
    if (prog == NULL) {
        fprintf(stderr, "kaplac: error: out of memory\n");
        return EXIT_INTERNAL;
    }
    bool loaded = true;
    for (int f = 0; f < o->nfile; f++) {
        loaded = load_one(prog, o->files[f]) && loaded;
    }
    load_default(prog, o->network ? o->network : "alexnet");
    load_default(prog, o->arch ? o->arch : "multinode");
    kpl_program_resolve(prog);

    int rc = EXIT_USAGE;
    if (!loaded) {
        print_diags(&prog->diags);
        note_not_written(o);
    } else if (output_spares_inputs(o, &prog, 1)) {
        rc = run_solve(prog, o);
    }
    kpl_program_free(prog);
    return rc;
}

/* Lint and prove: every FILE is compiled before anything else happens, so
 * that an -o naming one of their imports is refused before any work. */
static int batch_main(const struct options *o)
{
    struct batch b;
    if (!batch_init(&b, o->nfile)) {
        fprintf(stderr, "kaplac: error: out of memory\n");
        return EXIT_INTERNAL;
    }
    compile_all(&b, o);

    int rc = EXIT_USAGE;
    if (output_spares_inputs(o, b.progs, b.nprog)) {
        rc = o->job == JOB_PROVE ? run_prove(&b, o) : run_lint(&b, o);
    }
    batch_free(&b);
    return rc;
}

int main(int argc, char **argv)
{
    struct options o;
    int rc = parse_args(argc, argv, &o);
    if (rc < 0) {
        rc = answer_or_refuse(&o);
    }
    if (rc >= 0) {
        free(o.files);
        return rc;
    }

    rc = o.job == JOB_SOLVE ? solve_main(&o) : batch_main(&o);
    free(o.files);
    return rc;
}
