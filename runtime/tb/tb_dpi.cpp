// DPI functions called by the RTL (see runtime/rtl/tdc_dpi.svh): memory
// accesses with bounds and hazard checks, peripheral registers, counters.
#include <cstring>

#include "Vtdc_cluster__Dpi.h"
#include "tb_sim.h"

namespace tb {

static constexpr uint64_t STALL = 1ull << 32;

void Sim::fail(const std::string& kind, int core, bool has_pc, uint32_t pc, bool has_addr,
               uint32_t addr, const std::string& detail) {
  if (failed) return;  // keep the first error, later ones are consequences
  failed = true;
  error_kind = kind;
  error_core = core;
  error_pc = pc;
  error_addr = addr;
  error_has_pc = has_pc;
  error_has_addr = has_addr;
  std::string msg = "cycle " + std::to_string(cycle) + ": core " + std::to_string(core);
  if (has_pc) msg += " pc " + hex(pc);
  msg += ": " + detail;
  if (has_addr) msg += " (address " + hex(addr) + ")";
  error_message = msg;
}

static const char* trap_name(uint32_t cause) {
  switch (cause) {
    case 0: return "instruction address misaligned";
    case 1: return "instruction access fault";
    case 2: return "illegal instruction";
    case 3: return "breakpoint";
    case 4: return "load address misaligned";
    case 5: return "load access fault";
    case 6: return "store address misaligned";
    case 7: return "store access fault";
    case 11: return "environment call (ecall)";
    default: return "exception";
  }
}

// Peripheral register access; returns data, or STALL for a read that blocks.
static uint64_t periph_access(int core, uint32_t off, bool we, uint32_t wdata, uint32_t pc) {
  DmaConfig& cfg = sim.dma_cfg[core];
  if (we) {
    switch (off) {
      case TDRT_REG_EOC: sim.finished = true; sim.exit_code = wdata; return 0;
      case TDRT_REG_PUTCHAR: sim.output.push_back(char(wdata & 0xff)); return 0;
      case TDRT_REG_TRAP_CAUSE: sim.trap_cause[core] = wdata; return 0;
      case TDRT_REG_TRAP_TVAL: sim.trap_tval[core] = wdata; return 0;
      case TDRT_REG_TRAP_PC: {
        uint32_t cause = sim.trap_cause[core];
        std::string detail = std::string("trap: ") + trap_name(cause) + " (mcause " +
                             std::to_string(cause) + ", mtval " + hex(sim.trap_tval[core]) + ")";
        if (sim.mem.tier_of(wdata, 4) == NO_TIER) {
          detail += ", pc is not in memory";
        } else {
          uint32_t insn;
          std::memcpy(&insn, sim.mem.ptr(wdata), 4);
          detail += ", instruction " + hex(insn);
        }
        sim.fail("trap", core, true, wdata, false, 0, detail);
        return 0;
      }
      case TDRT_REG_DMA_SRC: cfg.src = wdata; return 0;
      case TDRT_REG_DMA_DST: cfg.dst = wdata; return 0;
      case TDRT_REG_DMA_LEN: cfg.len = wdata; return 0;
      case TDRT_REG_DMA_SRC_STRIDE: cfg.src_stride = wdata; return 0;
      case TDRT_REG_DMA_DST_STRIDE: cfg.dst_stride = wdata; return 0;
      case TDRT_REG_DMA_ROWS: cfg.rows = wdata; return 0;
      case TDRT_REG_DMA_WAIT_ID: cfg.wait_id = wdata; return 0;
      default: break;
    }
  } else {
    switch (off) {
      case TDRT_REG_NUM_CORES: return uint32_t(sim.active_cores);
      case TDRT_REG_CORE_ID: return uint32_t(core);
      case TDRT_REG_L1_SIZE: return sim.mem.l1_size;
      case TDRT_REG_BARRIER:
        if (sim.in_barrier[core]) {  // retry: released once the round has moved on
          if (sim.barrier_round == sim.barrier_wait_round[core]) return STALL;
          sim.in_barrier[core] = false;
          return sim.barrier_wait_round[core];
        }
        if (++sim.barrier_arrived == sim.active_cores) {
          sim.barrier_arrived = 0;
          return sim.barrier_round++;
        }
        sim.in_barrier[core] = true;
        sim.barrier_wait_round[core] = sim.barrier_round;
        return STALL;
      case TDRT_REG_DMA_START:
        if (sim.dma.full()) return STALL;
        return sim.dma.push(cfg, core, pc);
      case TDRT_REG_DMA_DONE: return sim.dma.done;
      case TDRT_REG_DMA_WAIT:
        if (int32_t(cfg.wait_id - sim.dma.next_id) >= 0) {  // would block forever
          sim.fail("dma", core, true, pc, false, 0,
                   "waits for DMA transfer " + std::to_string(cfg.wait_id) +
                       ", which was never started");
          return 0;
        }
        return sim.dma.is_done(cfg.wait_id) ? 0 : STALL;
      case TDRT_REG_DMA_WAIT_ALL: return sim.dma.queue.empty() ? 0 : STALL;
      case TDRT_REG_CYCLES_LO: return uint32_t(sim.cycle);
      case TDRT_REG_CYCLES_HI: return uint32_t(sim.cycle >> 32);
      default: break;
    }
    if (off >= TDRT_REG_DMA_BYTES && off < TDRT_REG_DMA_BYTES + 36 && off % 4 == 0) {
      uint32_t i = (off - TDRT_REG_DMA_BYTES) / 4;
      return uint32_t(sim.counters.dma_bytes[i / 3][i % 3]);
    }
    if (off >= TDRT_REG_CORE_CNT && off < TDRT_REG_CORE_CNT + 0x40 * MAX_CORES && off % 4 == 0) {
      uint32_t c = (off - TDRT_REG_CORE_CNT) / 0x40, k = (off - TDRT_REG_CORE_CNT) % 0x40 / 4;
      if (k < TDRT_NUM_CORE_CNT) return uint32_t(sim.counters.core[c][k]);
    }
  }
  sim.fail("bus", core, true, pc, true, TDRT_PERIPH_BASE + off,
           std::string(we ? "store to" : "load from") + " undefined peripheral register");
  return 0;
}

}  // namespace tb

using namespace tb;

unsigned int tdc_fetch(int core, unsigned int addr) {
  (void)core;
  uint32_t a = addr & ~3u;
  if (sim.mem.tier_of(a, 4) == NO_TIER) return 0;  // illegal instruction, trapped when executed
  uint32_t insn;
  std::memcpy(&insn, sim.mem.ptr(a), 4);
  return insn;
}

unsigned long long tdc_data_access(int core, unsigned int addr, svBit we, int be,
                                   unsigned int wdata, unsigned int pc) {
  uint32_t word = addr & ~3u;
  if (word >= TDRT_PERIPH_BASE && word < TDRT_PERIPH_BASE + TDRT_PERIPH_SIZE) {
    uint64_t r = periph_access(core, word - TDRT_PERIPH_BASE, we, wdata, pc);
    if (r & STALL) {
      sim.pending_addr[core] = word;
      sim.pending_pc[core] = pc;
    }
    return (unsigned long long)r;
  }
  int tier = sim.mem.tier_of(word, 4);
  if (tier == NO_TIER || tier == L3) {
    std::string what = tier == L3 ? " L3 (reachable only by DMA)" : " unmapped address";
    sim.fail("bus", core, true, pc, true, addr, std::string(we ? "store to" : "load from") + what);
    return 0;
  }
  uint8_t* p = sim.mem.ptr(word);
  for (int b = 0; b < 4; b++) {
    if (!(be >> b & 1)) continue;
    Hazard h;
    if (sim.dma.check(word + b, we, &h)) {
      std::string detail = std::string("hazard: core ") + (we ? "writes" : "reads") + " " +
                           tier_name(tier) + " bytes that in-flight DMA transfer " +
                           std::to_string(h.job->id) + " (" + tier_name(h.job->src_tier) + "->" +
                           tier_name(h.job->dst_tier) + ", started by core " +
                           std::to_string(h.job->core) + ") " + (h.job_writes ? "writes" : "reads");
      sim.fail("hazard", core, true, pc, true, word + b, detail);
      break;
    }
  }
  uint32_t rdata;
  std::memcpy(&rdata, p, 4);
  if (we) {
    for (int b = 0; b < 4; b++)
      if (be >> b & 1) p[b] = uint8_t(wdata >> (8 * b));
  }
  return (unsigned long long)rdata;
}

unsigned long long tdc_periph_retry(int core) {
  uint32_t off = sim.pending_addr[core] - TDRT_PERIPH_BASE;
  return (unsigned long long)periph_access(core, off, false, 0, sim.pending_pc[core]);
}

void tdc_core_events(int core, int events) {
  for (int k = 0; k < TDRT_NUM_CORE_CNT; k++)
    if (events >> k & 1) sim.counters.core[core][k]++;
}

unsigned int tdc_boot_addr() { return sim.entry; }

int tdc_active_cores() { return sim.active_cores; }

int tdc_dma_tick() {
  sim.dma.tick(sim.mem, sim.counters);
  return sim.dma.l1_banks();
}
