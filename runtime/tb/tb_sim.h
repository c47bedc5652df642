// State of the simulated cluster that lives outside the RTL: memories, DMA
// engine, peripheral registers, counters and the first error that stops a run.
#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "tdrt_regs.h"

namespace tb {

enum Tier : int { L1 = 0, L2 = 1, L3 = 2, NO_TIER = -1 };
const char* tier_name(int tier);

constexpr int MAX_CORES = 8;

// Byte-addressed backing store of the three tiers.
struct Memory {
  std::vector<uint8_t> l1 = std::vector<uint8_t>(TDRT_L1_MAX_SIZE);
  std::vector<uint8_t> l2 = std::vector<uint8_t>(TDRT_L2_SIZE);
  std::vector<uint8_t> l3 = std::vector<uint8_t>(TDRT_L3_SIZE);
  uint32_t l1_size = 128 * 1024;  // active part of l1

  // Tier holding [addr, addr+len) entirely, or NO_TIER.
  int tier_of(uint32_t addr, uint32_t len) const;
  // Pointer to addr, which must lie in a tier (checked with tier_of first).
  uint8_t* ptr(uint32_t addr);
};

// One queued DMA transfer (1-D is rows == 1).
struct DmaJob {
  uint32_t id, src, dst, len, src_stride, dst_stride, rows;
  int src_tier, dst_tier, core;
  uint32_t row = 0, col = 0, latency_left = 0;
};

struct DmaConfig {
  uint32_t src = 0, dst = 0, len = 0, src_stride = 0, dst_stride = 0, rows = 1, wait_id = 0;
};

// Which rule a core access broke against an in-flight DMA transfer.
struct Hazard {
  const DmaJob* job = nullptr;
  uint32_t addr = 0;
  bool job_writes = false;  // true: the DMA writes the byte; false: it reads it
};

struct Counters {
  uint64_t core[MAX_CORES][TDRT_NUM_CORE_CNT] = {};
  uint64_t dma_bytes[3][3] = {};  // [src tier][dst tier]
  uint64_t dma_transfers = 0;
};

// DMA engine: one FIFO queue processed in order.
// Timing: a transfer waits its setup latency, then moves up to the per-cycle
// bandwidth of the slower tier of the pair (8 B/cycle on the 64-bit L1/L2 port).
class Dma {
 public:
  static constexpr uint32_t BYTES_PER_CYCLE = 8;
  static constexpr uint32_t L3_BYTES_PER_CYCLE = 2;
  static constexpr uint32_t SETUP_CYCLES = 2;
  static constexpr uint32_t L3_SETUP_CYCLES = 64;

  std::deque<DmaJob> queue;
  uint32_t next_id = 0;
  uint32_t done = 0;

  bool full() const { return queue.size() >= TDRT_DMA_QUEUE_DEPTH; }
  bool is_done(uint32_t id) const { return int32_t(done - id) > 0; }
  // Validates and queues a transfer; returns its id or sets the run error.
  uint32_t push(const DmaConfig& cfg, int core, uint32_t pc);
  void tick(Memory& mem, Counters& counters);
  // L1 banks (bit per bank) the next tick will access; they are denied to the cores.
  uint16_t l1_banks() const;
  // First in-flight transfer that conflicts with a core access of byte addr.
  bool check(uint32_t addr, bool core_writes, Hazard* out) const;
};

struct Sim {
  Memory mem;
  Dma dma;
  Counters counters;
  DmaConfig dma_cfg[MAX_CORES];
  uint64_t cycle = 0;
  int active_cores = 8;
  uint32_t entry = TDRT_L2_BASE;  // boot address of every core

  // Barrier: round number and which cores wait for which round to end.
  uint32_t barrier_round = 0;
  int barrier_arrived = 0;
  bool in_barrier[MAX_CORES] = {};
  uint32_t barrier_wait_round[MAX_CORES] = {};
  // Blocked peripheral read of each core, re-executed by tdc_periph_retry.
  uint32_t pending_addr[MAX_CORES] = {}, pending_pc[MAX_CORES] = {};

  std::string output;  // putchar bytes
  bool finished = false;
  uint32_t exit_code = 0;
  uint32_t trap_cause[MAX_CORES] = {}, trap_tval[MAX_CORES] = {};

  // First error: stops the run.
  bool failed = false;
  std::string error_kind, error_message;
  int error_core = -1;
  uint32_t error_pc = 0, error_addr = 0;
  bool error_has_pc = false, error_has_addr = false;

  void fail(const std::string& kind, int core, bool has_pc, uint32_t pc, bool has_addr,
            uint32_t addr, const std::string& detail);
};

extern Sim sim;

std::string hex(uint32_t v);

}  // namespace tb
