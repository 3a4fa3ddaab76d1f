// parca-dev/parca-agent bpf/cpu/cpu.bpf.c (03495a0, GPL-2.0-only; comments trimmed) with its bpf/common.h inlined.
// Built with clang-19 -g -O2 --target=bpf -mcpu=v4 -D__TARGET_ARCH_x86. The bpf_loop binary-search callback refines
// `mid = left + right` (w1 += w3, a 32-bit offset link with delta 0) and sync_linked_regs copies that link into
// the caller's spilled `right`, so loop states differ in their ADD_CONST kinds and fewer prune: the kernel runs
// out of its 1,000,000 instructions (bpflab accepted after 859,946 when the sync copied only the value).
#if __WORDSIZE == 64
#define ULONG_MAX 18446744073709551615UL
#else
#define ULONG_MAX 4294967295UL
#endif
typedef unsigned char __u8;
typedef short unsigned int __u16;
typedef short signed int __s16;
typedef unsigned int __u32;
typedef int __s32;
typedef long long int __s64;
typedef long long unsigned int __u64;
typedef __u64 u64;
typedef __u8 u8;
typedef __u16 u16;
typedef __s16 s16;
typedef __u32 u32;
typedef __s32 s32;
typedef __s64 s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;
typedef u64 phys_addr_t;
typedef int __kernel_pid_t;
typedef __kernel_pid_t pid_t;
enum { BPF_ANY = 0, BPF_NOEXIST = 1, BPF_EXIST = 2, BPF_F_LOCK = 4, };
enum bpf_map_type {
	BPF_MAP_TYPE_UNSPEC = 0, BPF_MAP_TYPE_HASH = 1, BPF_MAP_TYPE_ARRAY = 2, BPF_MAP_TYPE_PROG_ARRAY = 3,
	BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4, BPF_MAP_TYPE_PERCPU_HASH = 5, BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_STACK_TRACE = 7, BPF_MAP_TYPE_CGROUP_ARRAY = 8, BPF_MAP_TYPE_LRU_HASH = 9,
	BPF_MAP_TYPE_LRU_PERCPU_HASH = 10, BPF_MAP_TYPE_LPM_TRIE = 11, BPF_MAP_TYPE_ARRAY_OF_MAPS = 12,
	BPF_MAP_TYPE_HASH_OF_MAPS = 13, BPF_MAP_TYPE_DEVMAP = 14, BPF_MAP_TYPE_SOCKMAP = 15, BPF_MAP_TYPE_CPUMAP = 16,
	BPF_MAP_TYPE_XSKMAP = 17, BPF_MAP_TYPE_SOCKHASH = 18, BPF_MAP_TYPE_CGROUP_STORAGE = 19,
	BPF_MAP_TYPE_REUSEPORT_SOCKARRAY = 20, BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE = 21, BPF_MAP_TYPE_QUEUE = 22,
	BPF_MAP_TYPE_STACK = 23, BPF_MAP_TYPE_SK_STORAGE = 24, BPF_MAP_TYPE_DEVMAP_HASH = 25,
	BPF_MAP_TYPE_STRUCT_OPS = 26, BPF_MAP_TYPE_RINGBUF = 27, BPF_MAP_TYPE_INODE_STORAGE = 28,
	BPF_MAP_TYPE_TASK_STORAGE = 29, BPF_MAP_TYPE_BLOOM_FILTER = 30,
};
enum { BPF_F_SKIP_FIELD_MASK = 255, BPF_F_USER_STACK = 256, BPF_F_FAST_STACK_CMP = 512, BPF_F_REUSE_STACKID = 1024, BPF_F_USER_BUILD_ID = 2048, };
enum { BPF_F_INDEX_MASK = 4294967295, BPF_F_CURRENT_CPU = 4294967295, BPF_F_CTXLEN_MASK = 0, };
struct pt_regs {
	long unsigned int r15; long unsigned int r14; long unsigned int r13; long unsigned int r12;
	long unsigned int bp; long unsigned int bx; long unsigned int r11; long unsigned int r10;
	long unsigned int r9; long unsigned int r8; long unsigned int ax; long unsigned int cx;
	long unsigned int dx; long unsigned int si; long unsigned int di; long unsigned int orig_ax;
	long unsigned int ip; long unsigned int cs; long unsigned int flags; long unsigned int sp; long unsigned int ss;
};
typedef struct pt_regs bpf_user_pt_regs_t;
struct bpf_perf_event_data { bpf_user_pt_regs_t regs; __u64 sample_period; __u64 addr; };
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define MAX_STACK_DEPTH 127
#define MAX_STACK_ADDRESSES 1024
#define MAX_ENTRIES 10240
#define UNWIND_TABLES_MAX_STACK_DEPTH 100
#define MAX_PID_MAP_SIZE 256
#define MAX_BINARY_SEARCH_DEPTH 20
#define MAX_UNWIND_TABLE_SIZE 250 * 1000
#define CFA_REGISTER_RBP 1
#define CFA_REGISTER_RSP 2
#define CFA_EXPRESSION 3

#define BPF_MAP(_name, _type, _key_type, _value_type, _max_entries)            \
  struct {                                                                     \
    __uint(type, _type);                                                       \
    __uint(max_entries, _max_entries);                                         \
    __type(key, _key_type);                                                    \
    __type(value, _value_type);                                                \
  } _name SEC(".maps");

typedef __u64 stack_trace_type[MAX_STACK_DEPTH];
#define BPF_STACK_TRACE(_name, _max_entries)                                   \
  BPF_MAP(_name, BPF_MAP_TYPE_STACK_TRACE, u32, stack_trace_type, _max_entries);

#define BPF_HASH(_name, _key_type, _value_type, _max_entries)                  \
  BPF_MAP(_name, BPF_MAP_TYPE_HASH, _key_type, _value_type, _max_entries);

#define DEFINE_COUNTER(__func__name)                                           \
  static void BUMP_##__func__name() {                                          \
    u32 *c = bpf_map_lookup_elem(&percpu_stats, &__func__name);                \
    if (c != NULL) {                                                           \
      *c += 1;                                                                 \
    }                                                                          \
  }

typedef struct stack_trace_t {
  u64 len;
  u64 addresses[MAX_STACK_DEPTH];
} stack_trace_t;

typedef struct stack_count_key {
  u32 pid;
  int user_stack_id;
  int kernel_stack_id;
  stack_trace_t unwind_table_frames;
} stack_count_key_t;

typedef struct stack_unwind_row {
  u64 pc;
  u16 __reserved_do_not_use;
  u16 cfa_type;
  s16 cfa_offset;
  s16 rbp_offset;
} stack_unwind_row_t;

typedef struct stack_unwind_table_t {
  u64 table_len;
  stack_unwind_row_t rows[MAX_UNWIND_TABLE_SIZE];
} stack_unwind_table_t;

struct callback_ctx {
  u64 pc;
  stack_unwind_table_t *table;
  u32 found;
  u32 left;
  u32 right;
};

u32 UNWIND_SUCCESS = 1;
u32 UNWIND_TRUNCATED = 2;
u32 UNWIND_UNSUPPORTED_EXPRESSION = 3;
u32 UNWIND_CATCHALL_ERROR = 4;
u32 UNWIND_SHOULD_NEVER_HAPPEN_ERROR = 5;
u32 UNWIND_PC_NOT_COVERED_ERROR = 6;
u32 UNWIND_SAMPLES_COUNT = 7;

BPF_HASH(stack_counts, stack_count_key_t, u64, MAX_ENTRIES);

BPF_STACK_TRACE(stack_traces, MAX_STACK_ADDRESSES);
BPF_HASH(unwind_tables, pid_t, stack_unwind_table_t, MAX_PID_MAP_SIZE);

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, stack_count_key_t);
} heap SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 10);
  __type(key, __u32);
  __type(value, __u32);
} percpu_stats SEC(".maps");

DEFINE_COUNTER(UNWIND_SUCCESS);
DEFINE_COUNTER(UNWIND_TRUNCATED);
DEFINE_COUNTER(UNWIND_UNSUPPORTED_EXPRESSION);
DEFINE_COUNTER(UNWIND_SHOULD_NEVER_HAPPEN_ERROR);
DEFINE_COUNTER(UNWIND_CATCHALL_ERROR);
DEFINE_COUNTER(UNWIND_PC_NOT_COVERED_ERROR);

static void unwind_print_stats() {
  u32 *success_counter = bpf_map_lookup_elem(&percpu_stats, &UNWIND_SUCCESS);
  if (success_counter == NULL) {
    return;
  }
  u32 *total_counter =
      bpf_map_lookup_elem(&percpu_stats, &UNWIND_SAMPLES_COUNT);
  if (total_counter == NULL) {
    return;
  }
  u32 *truncated_counter =
      bpf_map_lookup_elem(&percpu_stats, &UNWIND_TRUNCATED);
  if (truncated_counter == NULL) {
    return;
  }
  u32 *unsup_expression =
      bpf_map_lookup_elem(&percpu_stats, &UNWIND_UNSUPPORTED_EXPRESSION);
  if (unsup_expression == NULL) {
    return;
  }
  u32 *not_covered_count =
      bpf_map_lookup_elem(&percpu_stats, &UNWIND_PC_NOT_COVERED_ERROR);
  if (not_covered_count == NULL) {
    return;
  }
  u32 *catchall_count =
      bpf_map_lookup_elem(&percpu_stats, &UNWIND_CATCHALL_ERROR);
  if (catchall_count == NULL) {
    return;
  }
  u32 *never =
      bpf_map_lookup_elem(&percpu_stats, &UNWIND_SHOULD_NEVER_HAPPEN_ERROR);
  if (never == NULL) {
    return;
  }
  bpf_printk("[[ stats for cpu %d ]]", (int)bpf_get_smp_processor_id());
  bpf_printk("success=%lu", *success_counter);
  bpf_printk("unsup_expression=%lu", *unsup_expression);
  bpf_printk("truncated=%lu", *truncated_counter);
  bpf_printk("catchall=%lu", *catchall_count);
  bpf_printk("never=%lu", *never);
  bpf_printk("total_counter=%lu", *total_counter);
  bpf_printk("(not_covered=%lu)", *not_covered_count);
}

static void bump_samples() {
  u32 *c = bpf_map_lookup_elem(&percpu_stats, &UNWIND_SAMPLES_COUNT);
  if (c != NULL) {
    *c += 1;
    if (*c % 50 == 0) {
      unwind_print_stats();
    }
  }
}

static __always_inline void *
bpf_map_lookup_or_try_init(void *map, const void *key, const void *init) {
  void *val;
  long err;
  val = bpf_map_lookup_elem(map, key);
  if (val)
    return val;
  err = bpf_map_update_elem(map, key, init, BPF_NOEXIST);
  if (err && err != -17)
    return 0;
  return bpf_map_lookup_elem(map, key);
}

static int find_offset_for_pc(__u32 index, void *data) {
  struct callback_ctx *ctx = data;
  if (ctx->left >= ctx->right) {
    bpf_printk("\t.done");
    return 1;
  }
  u32 mid = (ctx->left + ctx->right) / 2;
  if (mid < 0 || mid >= MAX_UNWIND_TABLE_SIZE) {
    bpf_printk("\t.should never happen");
    BUMP_UNWIND_SHOULD_NEVER_HAPPEN_ERROR();
    return 1;
  }
  if (ctx->table->rows[mid].pc <= ctx->pc) {
    ctx->found = mid;
    ctx->left = mid + 1;
  } else {
    ctx->right = mid;
  }
  return 0;
}

static __always_inline void show_row(stack_unwind_table_t *unwind_table,
                                     int index) {
  u64 pc = unwind_table->rows[index].pc;
  u16 cfa_type = unwind_table->rows[index].cfa_type;
  s16 cfa_offset = unwind_table->rows[index].cfa_offset;
  s16 rbp_offset = unwind_table->rows[index].rbp_offset;
  bpf_printk("~ %d entry. Loc: %llx, CFA reg: %d Offset: %d, $rbp %d", index,
             pc, cfa_type, cfa_offset, rbp_offset);
}
static __always_inline int
walk_user_stacktrace(bpf_user_pt_regs_t *regs,
                     stack_unwind_table_t *unwind_table, stack_trace_t *stack) {
  u64 current_rip = regs->ip;
  u64 current_rsp = regs->sp;
  u64 current_rbp = regs->bp;

  bpf_printk("~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~");
  bpf_printk("traversing stack using .eh_frame information!!");
  bpf_printk("~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~");

  u64 table_len = unwind_table->table_len;
  bpf_printk("- unwind table has %d items", table_len);

  if (table_len >= MAX_UNWIND_TABLE_SIZE) {
    bpf_printk("should never happen");
    BUMP_UNWIND_SHOULD_NEVER_HAPPEN_ERROR();
    return 1;
  }

  bump_samples();

  for (int i = 0; i < MAX_STACK_DEPTH; i++) {
    bpf_printk("## frame: %d", i);
    bpf_printk("\tcurrent pc: %llx", current_rip);
    bpf_printk("\tcurrent sp: %llx", current_rsp);
    bpf_printk("\tcurrent bp: %llx", current_rbp);

    struct callback_ctx callback_context = {
        .pc = current_rip,
        .table = unwind_table,
        .found = 0,
        .left = 0,
        .right = table_len - 1,
    };

    bpf_loop(MAX_BINARY_SEARCH_DEPTH, find_offset_for_pc, &callback_context, 0);

    u64 table_idx = callback_context.found;
    bpf_printk("\t=> table_index: %d", table_idx);

    if (table_idx < 0 || table_idx >= MAX_UNWIND_TABLE_SIZE) {
      bpf_printk("\t[error] this should never happen");
      BUMP_UNWIND_SHOULD_NEVER_HAPPEN_ERROR();
      return 1;
    }

    u64 last_idx = unwind_table->table_len - 1;
    if (last_idx < 0 || last_idx >= MAX_UNWIND_TABLE_SIZE) {
      bpf_printk("\t[error] this should never happen");
      BUMP_UNWIND_SHOULD_NEVER_HAPPEN_ERROR();
      return 0;
    }

    if ((current_rip < unwind_table->rows[0].pc ||
         current_rip > unwind_table->rows[last_idx].pc) &&
        current_rbp == 0) {
      bpf_printk("======= reached main! =======");
      stack->len = i;
      BUMP_UNWIND_SUCCESS();
      return 0;
    }

    stack->addresses[i] = current_rip;

    u64 found_pc = unwind_table->rows[table_idx].pc;
    u16 found_cfa_type = unwind_table->rows[table_idx].cfa_type;
    s16 found_cfa_offset = unwind_table->rows[table_idx].cfa_offset;
    s16 found_rbp_offset = unwind_table->rows[table_idx].rbp_offset;

    bpf_printk("\tcfa reg: $%s, offset: %d (row pc: %llx)",
               found_cfa_type == CFA_REGISTER_RSP ? "rsp" : "rbp",
               found_cfa_offset, found_pc);

    if (found_cfa_type == CFA_EXPRESSION) {
      bpf_printk("\t!!!! CFA is an expression, bailing out");
      BUMP_UNWIND_UNSUPPORTED_EXPRESSION();
      return 1;
    }

    u64 previous_rsp = 0;
    if (found_cfa_type == CFA_REGISTER_RBP) {
      previous_rsp = current_rbp + found_cfa_offset;
    } else if (found_cfa_type == CFA_REGISTER_RSP) {
      previous_rsp = current_rsp + found_cfa_offset;
    } else {
      bpf_printk("\t[error] register %d not valid (expected $rbp or $rsp)",
                 found_cfa_type);
      BUMP_UNWIND_CATCHALL_ERROR();
      return 1;
    }
    if (previous_rsp == 0) {
      bpf_printk("[error] previous_rsp should not be zero.");
      BUMP_UNWIND_CATCHALL_ERROR();
      return 1;
    }

    u64 previous_rip_addr =
        previous_rsp - 8;
    u64 previous_rip = 0;
    int err = bpf_probe_read_user(
        &previous_rip, 8,
        (void *)(previous_rip_addr));

    if (previous_rip == 0) {
      bpf_printk("[error] previous_rip should not be zero. This can mean that "
                 "the read failed, ret=%d while reading @ %llx.",
                 err, previous_rip_addr);
      BUMP_UNWIND_CATCHALL_ERROR();
      return 1;
    }

    u64 previous_rbp = 0;
    if (found_rbp_offset == 0) {
      previous_rbp = current_rbp;
    } else {
      u64 previous_rbp_addr = previous_rsp + found_rbp_offset;
      bpf_printk("\t(bp_offset: %d, bp value stored at %llx)", found_rbp_offset,
                 previous_rbp_addr);
      int ret = bpf_probe_read_user(
          &previous_rbp, 8,
          (void *)(previous_rbp_addr));

      if (ret != 0) {
        bpf_printk("[error] previous_rbp should not be zero. This can mean "
                   "that the read has failed %d.",
                   ret);
        BUMP_UNWIND_CATCHALL_ERROR();
        return 1;
      }
    }

    bpf_printk("\tprevious ip: %llx (@ %llx)", previous_rip, previous_rip_addr);
    bpf_printk("\tprevious sp: %llx", previous_rsp);
    current_rip = previous_rip;
    current_rsp = previous_rsp;
    bpf_printk("\tprevious bp: %llx", previous_rbp);
    current_rbp = previous_rbp;
  }

  BUMP_UNWIND_TRUNCATED();
  return 1;
}

SEC("perf_event")
int profile_cpu(struct bpf_perf_event_data *ctx) {
  u64 id = bpf_get_current_pid_tgid();
  u32 tgid = id >> 32;
  u32 pid = id;

  if (pid == 0)
    return 0;

  u32 zero = 0;
  stack_count_key_t *stack = bpf_map_lookup_elem(&heap, &zero);
  if (stack == NULL) {
    return 1;
  }

  stack->unwind_table_frames.len = 0;
  stack->pid = tgid;
  stack->user_stack_id = 0;
  stack->kernel_stack_id = 0;

  int kernel_stack_id = bpf_get_stackid(ctx, &stack_traces, 0);
  if (kernel_stack_id >= 0) {
    stack->kernel_stack_id = kernel_stack_id;
  }

  stack_unwind_table_t *unwind_table =
      bpf_map_lookup_elem(&unwind_tables, &pid);

  if (unwind_table == NULL) {
    int stack_id = bpf_get_stackid(ctx, &stack_traces, BPF_F_USER_STACK);
    if (stack_id >= 0) {
      stack->user_stack_id = stack_id;
    }
    u64 zero = 0;
    u64 *scount = bpf_map_lookup_or_try_init(&stack_counts, stack, &zero);
    if (scount) {
      __sync_fetch_and_add(scount, 1);
    }
  } else {
    u64 last_idx = unwind_table->table_len - 1;
    if (last_idx < 0 || last_idx >= MAX_UNWIND_TABLE_SIZE) {
      bpf_printk("\t[error] this should never happen");
      BUMP_UNWIND_SHOULD_NEVER_HAPPEN_ERROR();
      return 0;
    }

    if (ctx->regs.ip < unwind_table->rows[0].pc ||
        ctx->regs.ip > unwind_table->rows[last_idx].pc) {
      bpf_printk("IP not covered. In kernel space / bug? IP %llx (first %llx, "
                 "last %llx)",
                 ctx->regs.ip, unwind_table->rows[0].pc,
                 unwind_table->rows[last_idx].pc);
      BUMP_UNWIND_PC_NOT_COVERED_ERROR();
      return 0;
    }

    int ret = walk_user_stacktrace(&ctx->regs, unwind_table,
                                   &stack->unwind_table_frames);
    if (ret == 0) {
      u64 zero = 0;
      u64 *scount = bpf_map_lookup_or_try_init(&stack_counts, stack, &zero);
      if (scount) {
        __sync_fetch_and_add(scount, 1);
      }
      bpf_printk("yesssss :)");
    } else {
      bpf_printk("noooooo :(");
    }

    show_row(unwind_table, 0);
    show_row(unwind_table, 1);
    show_row(unwind_table, 2);
    show_row(unwind_table, last_idx);
  }

  return 0;
}

#define KBUILD_MODNAME "parca-agent"
volatile const char bpf_metadata_name[] SEC(".rodata") =
    "parca-agent (https://github.com/parca-dev/parca-agent)";
unsigned int VERSION SEC("version") = 1;
char LICENSE[] SEC("license") = "GPL";
