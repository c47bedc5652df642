// Simulator driver: loads memory images, runs the cluster until
// end-of-computation, an error or the cycle limit, then writes the requested
// memory dumps and a JSON result (status, exit code, error, counters).
//
//   Vtdc_cluster --entry ADDR [--cores N] [--l1 BYTES] [--max-cycles N]
//                [--progress N] [--load ADDR FILE]... [--dump ADDR LEN FILE]...
//                --result FILE
//
// --progress N: a heartbeat line "cycles C" on stdout every N cycles, for the
// host's progress bar (runtime/cluster.py reads it while the run goes on).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "Vtdc_cluster.h"
#include "tb_sim.h"
#include "verilated.h"

namespace tb {
Sim sim;
}
using namespace tb;

static void die(const std::string& msg) {
  fprintf(stderr, "tdc-sim: %s\n", msg.c_str());
  exit(2);
}

static uint64_t parse_num(const char* s) {
  char* end;
  uint64_t v = strtoull(s, &end, 0);
  if (*s == 0 || *end != 0) die(std::string("bad number: ") + s);
  return v;
}

static std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  return out + "\"";
}

static const char* const CORE_COUNTER_NAMES[TDRT_NUM_CORE_CNT] = {
    "instret", "fp_ops", "stall_load_use", "stall_fpu", "stall_bank", "wait_l2", "wait_sync"};

static std::string counters_json(double seconds) {
  std::ostringstream o;
  o << "{\"cycles\": " << sim.cycle;
  for (int k = 0; k < TDRT_NUM_CORE_CNT; k++) {
    uint64_t total = 0;
    for (int c = 0; c < sim.active_cores; c++) total += sim.counters.core[c][k];
    o << ", \"" << CORE_COUNTER_NAMES[k] << "\": " << total;
  }
  for (int c = 0; c < sim.active_cores; c++)
    for (int k = 0; k < TDRT_NUM_CORE_CNT; k++)
      o << ", \"core" << c << "." << CORE_COUNTER_NAMES[k] << "\": " << sim.counters.core[c][k];
  for (int s = 0; s < 3; s++)
    for (int d = 0; d < 3; d++)
      o << ", \"dma." << tier_name(s) << "_to_" << tier_name(d)
        << ".bytes\": " << sim.counters.dma_bytes[s][d];
  o << ", \"dma.transfers\": " << sim.counters.dma_transfers;
  o << ", \"sim.seconds\": " << seconds << "}";
  return o.str();
}

int main(int argc, char** argv) {
  uint64_t max_cycles = 10'000'000;
  uint64_t progress = 0;
  std::string result_path;
  struct Dump { uint32_t addr, len; std::string path; };
  std::vector<Dump> dumps;

  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto need = [&](int n) {
      if (i + n >= argc) die("missing value after " + a);
    };
    if (a == "--cores") { need(1); sim.active_cores = int(parse_num(argv[++i])); }
    else if (a == "--l1") { need(1); sim.mem.l1_size = uint32_t(parse_num(argv[++i])); }
    else if (a == "--entry") { need(1); sim.entry = uint32_t(parse_num(argv[++i])); }
    else if (a == "--max-cycles") { need(1); max_cycles = parse_num(argv[++i]); }
    else if (a == "--progress") { need(1); progress = parse_num(argv[++i]); }
    else if (a == "--result") { need(1); result_path = argv[++i]; }
    else if (a == "--load") {
      need(2);
      uint32_t addr = uint32_t(parse_num(argv[++i]));
      std::ifstream f(argv[++i], std::ios::binary);
      if (!f) die(std::string("cannot read ") + argv[i]);
      std::vector<char> data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      if (!data.empty() && sim.mem.tier_of(addr, uint32_t(data.size())) == NO_TIER)
        die("load of " + std::to_string(data.size()) + " bytes at " + hex(addr) +
            " does not fit in a memory tier");
      if (!data.empty()) std::memcpy(sim.mem.ptr(addr), data.data(), data.size());
    } else if (a == "--dump") {
      need(3);
      uint32_t addr = uint32_t(parse_num(argv[i + 1])), len = uint32_t(parse_num(argv[i + 2]));
      dumps.push_back({addr, len, argv[i + 3]});
      i += 3;
      if (len && sim.mem.tier_of(addr, len) == NO_TIER) die("dump range " + hex(addr) + " is not in a memory tier");
    } else if (a.rfind("+verilator", 0) == 0) {
      // passed through to Verilated::commandArgs
    } else {
      die("unknown argument " + a);
    }
  }
  if (sim.active_cores < 1 || sim.active_cores > MAX_CORES)
    die("--cores must be between 1 and " + std::to_string(MAX_CORES));
  if (sim.mem.l1_size != 64 * 1024 && sim.mem.l1_size != 128 * 1024 && sim.mem.l1_size != 256 * 1024)
    die("--l1 must be 65536, 131072 or 262144");
  if (result_path.empty()) die("--result FILE is required");

  auto ctx = std::make_unique<VerilatedContext>();
  ctx->commandArgs(argc, argv);
  auto top = std::make_unique<Vtdc_cluster>(ctx.get());
  // the model reads sim.entry and sim.active_cores at its first eval
  top->clk_i = 0;
  // Reset starts with a falling edge of rst_ni. The asynchronous reset of a
  // flop acts on that edge or on its clock edge, and the FPU's clock is gated
  // off while the core is in reset (cv32e40p_top enables it only for APU
  // requests), so without the edge the FPU never resets. Its flops would keep
  // their zero initial values, and the T-Head divide/sqrt unit, whose
  // "ready" flop resets to 1, would never take an fdiv.s / fsqrt.s.
  top->rst_ni = 1;
  top->eval();
  top->rst_ni = 0;
  top->eval();
  for (int i = 0; i < 4; i++) {  // a few cycles of reset
    top->clk_i = 1; top->eval();
    top->clk_i = 0; top->eval();
  }
  top->rst_ni = 1;
  top->eval();

  auto t0 = std::chrono::steady_clock::now();
  while (!sim.finished && !sim.failed && sim.cycle < max_cycles) {
    top->clk_i = 1;
    top->eval();  // the DMA moves its bytes at this edge too (tdc_dma_tick)
    top->clk_i = 0;
    top->eval();
    sim.cycle++;
    if (progress && sim.cycle % progress == 0) {
      printf("cycles %llu\n", (unsigned long long)sim.cycle);
      fflush(stdout);
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  top->final();

  for (const Dump& d : dumps) {
    std::ofstream f(d.path, std::ios::binary);
    if (d.len) f.write(reinterpret_cast<const char*>(sim.mem.ptr(d.addr)), d.len);
  }

  std::string status = sim.failed ? "error" : sim.finished ? "exit" : "timeout";
  std::ofstream r(result_path);
  r << "{\"status\": \"" << status << "\", \"exit_code\": " << sim.exit_code
    << ", \"output\": " << json_string(sim.output) << ", \"counters\": " << counters_json(seconds);
  if (sim.failed) {
    r << ", \"error\": {\"kind\": " << json_string(sim.error_kind)
      << ", \"message\": " << json_string(sim.error_message) << ", \"cycle\": " << sim.cycle
      << ", \"core\": " << sim.error_core;
    if (sim.error_has_pc) r << ", \"pc\": " << sim.error_pc;
    if (sim.error_has_addr) r << ", \"addr\": " << sim.error_addr;
    r << "}";
  }
  r << "}\n";
  return 0;
}
