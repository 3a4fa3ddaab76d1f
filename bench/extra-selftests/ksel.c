// ksel OBJ PROG FLAGS AUX: loads one test program of a selftests object into the running kernel
// as test_loader.c does (libbpf opens the object; only the test program and the comma-separated
// auxiliary programs AUX are loaded; FLAGS are ORed into the program's flags) and prints one JSON
// line: {"verdict", "errno", "log"} with the log's last lines (level 1 when rejected, the
// statistics when accepted). KSEL_LOG=N prints the whole level-N log on stderr.
// ksel OBJ: lists the object's programs as libbpf sees them, one "NAME SECTION" line each.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char logbuf[16 << 20];

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap) { return 0; }

static void json_string(const char *s) {
  putchar('"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') printf("\\%c", *s);
    else if ((unsigned char)*s < 0x20) printf("\\u%04x", *s);
    else putchar(*s);
  }
  putchar('"');
}

static int listed(const char *csv, const char *name) {
  size_t n = strlen(name);
  for (const char *p = csv; p && *p;) {
    const char *e = strchr(p, ',');
    size_t l = e ? (size_t)(e - p) : strlen(p);
    if (l == n && !strncmp(p, name, n)) return 1;
    p = e ? e + 1 : NULL;
  }
  return 0;
}

/* One load of the object with only `target` (and the auxiliary programs); returns libbpf's error. */
static int load(const char *path, const char *target, unsigned flags, const char *aux, int log_level) {
  struct bpf_object *obj = bpf_object__open_file(path, NULL);
  if (!obj) return -errno;
  struct bpf_program *p;
  int found = 0;
  bpf_object__for_each_program(p, obj) {
    int mine = !strcmp(bpf_program__name(p), target);
    bpf_program__set_autoload(p, mine || listed(aux, bpf_program__name(p)));
    if (!mine) continue;
    found = 1;
    bpf_program__set_flags(p, bpf_program__flags(p) | flags);
    if (log_level) {
      logbuf[0] = 0;
      bpf_program__set_log_buf(p, logbuf, sizeof logbuf);
      bpf_program__set_log_level(p, log_level);
    }
  }
  if (getenv("KSEL_FIX_MAPS")) {
    /* As projects' loaders do at run time: a max_entries left 0 in the ELF gets a size. */
    struct bpf_map *m;
    bpf_object__for_each_map(m, obj)
      if (bpf_map__max_entries(m) == 0 && bpf_map__type(m) != BPF_MAP_TYPE_PERF_EVENT_ARRAY)
        bpf_map__set_max_entries(m, bpf_map__type(m) == BPF_MAP_TYPE_RINGBUF ? 256 * 1024 : 1024);
  }
  int err = found ? bpf_object__load(obj) : -ENOENT;
  bpf_object__close(obj);
  return err;
}

static int list(const char *path) {
  struct bpf_object *obj = bpf_object__open_file(path, NULL);
  if (!obj) return 1;
  struct bpf_program *p;
  bpf_object__for_each_program(p, obj) printf("%s %s\n", bpf_program__name(p), bpf_program__section_name(p));
  bpf_object__close(obj);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 2) {
    libbpf_set_print(quiet);
    return list(argv[1]);
  }
  if (argc != 5) {
    fprintf(stderr, "usage: ksel OBJ PROG FLAGS AUX | ksel OBJ\n");
    return 2;
  }
  libbpf_set_print(quiet);
  unsigned flags = strtoul(argv[3], NULL, 0);
  int err = load(argv[1], argv[2], flags, argv[4], 0);
  const char *level = getenv("KSEL_LOG");
  /* The verdict comes from the load without a log; a second load writes it (a log can only add ENOSPC). */
  load(argv[1], argv[2], flags, argv[4], level ? atoi(level) : err ? 1 : 4);
  if (level) fputs(logbuf, stderr);
  size_t len = strlen(logbuf);
  while (len && logbuf[len - 1] == '\n') logbuf[--len] = 0;
  const char *lines[4];
  int n = 0;
  for (char *q = logbuf + len; q >= logbuf && n < 4; q--)
    if (q == logbuf || q[-1] == '\n') {
      if (*q) lines[n++] = q;
      if (q > logbuf) q[-1] = 0;
    }
  printf("{\"verdict\":\"%s\",\"errno\":%d,\"log\":[", err ? "reject" : "accept", err);
  for (int i = n - 1; i >= 0; i--) {
    json_string(lines[i]);
    if (i) putchar(',');
  }
  printf("]}\n");
  return 0;
}
