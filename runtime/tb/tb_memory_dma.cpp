// Memory tiers, the DMA engine and the DMA/core hazard checker.
#include <algorithm>
#include <cstring>

#include "tb_sim.h"

namespace tb {

const char* tier_name(int tier) {
  switch (tier) {
    case L1: return "l1";
    case L2: return "l2";
    case L3: return "l3";
    default: return "unmapped";
  }
}

std::string hex(uint32_t v) {
  char buf[16];
  snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

int Memory::tier_of(uint32_t addr, uint32_t len) const {
  uint64_t end = uint64_t(addr) + len;
  if (addr >= TDRT_L1_BASE && end <= uint64_t(TDRT_L1_BASE) + l1_size) return L1;
  if (addr >= TDRT_L2_BASE && end <= uint64_t(TDRT_L2_BASE) + TDRT_L2_SIZE) return L2;
  if (addr >= TDRT_L3_BASE && end <= uint64_t(TDRT_L3_BASE) + TDRT_L3_SIZE) return L3;
  return NO_TIER;
}

uint8_t* Memory::ptr(uint32_t addr) {
  if (addr >= TDRT_L3_BASE) return &l3[addr - TDRT_L3_BASE];
  if (addr >= TDRT_L2_BASE) return &l2[addr - TDRT_L2_BASE];
  return &l1[addr - TDRT_L1_BASE];
}

// Last byte + 1 of a strided pattern, relative to its base.
static uint64_t span(uint32_t len, uint32_t stride, uint32_t rows) {
  return uint64_t(stride) * (rows - 1) + len;
}

uint32_t Dma::push(const DmaConfig& cfg, int core, uint32_t pc) {
  uint32_t rows = cfg.rows == 0 ? 1 : cfg.rows;
  uint32_t ss = rows == 1 ? cfg.len : cfg.src_stride;
  uint32_t ds = rows == 1 ? cfg.len : cfg.dst_stride;
  if (cfg.len == 0) {
    sim.fail("dma", core, true, pc, false, 0, "DMA transfer with zero length");
    return 0;
  }
  uint64_t src_span = span(cfg.len, ss, rows), dst_span = span(cfg.len, ds, rows);
  int st = src_span > 0xffffffffu ? NO_TIER : sim.mem.tier_of(cfg.src, uint32_t(src_span));
  int dt = dst_span > 0xffffffffu ? NO_TIER : sim.mem.tier_of(cfg.dst, uint32_t(dst_span));
  if (st == NO_TIER || dt == NO_TIER) {
    bool bad_src = st == NO_TIER;
    sim.fail("dma", core, true, pc, true, bad_src ? cfg.src : cfg.dst,
             std::string("DMA ") + (bad_src ? "source" : "destination") +
                 " range is not inside one memory tier (len " + std::to_string(cfg.len) +
                 ", rows " + std::to_string(rows) + ")");
    return 0;
  }
  DmaJob job{next_id++, cfg.src, cfg.dst, cfg.len, ss, ds, rows, st, dt, core};
  job.latency_left = (st == L3 || dt == L3) ? L3_SETUP_CYCLES : SETUP_CYCLES;
  queue.push_back(job);
  return job.id;
}

void Dma::tick(Memory& mem, Counters& counters) {
  if (queue.empty()) return;
  DmaJob& job = queue.front();
  if (job.latency_left > 0) {
    job.latency_left--;
    return;
  }
  uint32_t bw = (job.src_tier == L3 || job.dst_tier == L3) ? L3_BYTES_PER_CYCLE : BYTES_PER_CYCLE;
  uint32_t n = std::min(bw, job.len - job.col);
  uint32_t s = job.src + job.row * job.src_stride + job.col;
  uint32_t d = job.dst + job.row * job.dst_stride + job.col;
  std::memmove(mem.ptr(d), mem.ptr(s), n);
  counters.dma_bytes[job.src_tier][job.dst_tier] += n;
  job.col += n;
  if (job.col == job.len) {
    job.col = 0;
    if (++job.row == job.rows) {
      queue.pop_front();
      done++;
      counters.dma_transfers++;
    }
  }
}

static uint16_t banks_of(uint32_t addr, uint32_t n) {
  uint16_t mask = 0;
  for (uint32_t w = addr >> 2; w <= (addr + n - 1) >> 2; w++) mask |= uint16_t(1u << (w % TDRT_L1_BANKS));
  return mask;
}

uint16_t Dma::l1_banks() const {
  if (queue.empty() || queue.front().latency_left > 0) return 0;
  const DmaJob& job = queue.front();
  uint32_t bw = (job.src_tier == L3 || job.dst_tier == L3) ? L3_BYTES_PER_CYCLE : BYTES_PER_CYCLE;
  uint32_t n = std::min(bw, job.len - job.col);
  uint16_t mask = 0;
  if (job.src_tier == L1) mask |= banks_of(job.src + job.row * job.src_stride + job.col, n);
  if (job.dst_tier == L1) mask |= banks_of(job.dst + job.row * job.dst_stride + job.col, n);
  return mask;
}

// Is byte addr one of the bytes of the pattern (base, len, stride, rows)?
static bool in_pattern(uint32_t addr, uint32_t base, uint32_t len, uint32_t stride,
                       uint32_t rows) {
  if (addr < base) return false;
  uint64_t off = addr - base;
  if (off >= span(len, stride, rows)) return false;
  if (stride <= len) return true;  // rows touch or overlap: one contiguous range
  return off % stride < len;
}

bool Dma::check(uint32_t addr, bool core_writes, Hazard* out) const {
  for (const DmaJob& job : queue) {
    if (in_pattern(addr, job.dst, job.len, job.dst_stride, job.rows)) {
      *out = Hazard{&job, addr, true};
      return true;
    }
    if (core_writes && in_pattern(addr, job.src, job.len, job.src_stride, job.rows)) {
      *out = Hazard{&job, addr, false};
      return true;
    }
  }
  return false;
}

}  // namespace tb
