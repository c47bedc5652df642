// DPI functions implemented by the C++ testbench (runtime/tb/tb_dpi.cpp).
// 64-bit results: bits [31:0] read data, bit 32 "stall, ask again next cycle".

// Instruction fetch (ideal: never stalls). Unmapped addresses read as 0 (illegal).
import "DPI-C" function int unsigned tdc_fetch(input int core, input int unsigned addr);

// A granted data access: memory, peripheral register or an error report.
import "DPI-C" function longint unsigned tdc_data_access(
    input int core, input int unsigned addr, input bit we, input int be,
    input int unsigned wdata, input int unsigned pc);

// Retry of a peripheral read that answered "stall" (barrier, DMA wait, full DMA queue).
import "DPI-C" function longint unsigned tdc_periph_retry(input int core);

// Per-core event bits of one cycle, only called when at least one is set.
import "DPI-C" function void tdc_core_events(input int core, input int events);

// Run configuration, read once at time 0: entry address and active cores.
import "DPI-C" function int unsigned tdc_boot_addr();
import "DPI-C" function int tdc_active_cores();

// One DMA cycle, at the clock edge after the cores' accesses of that edge;
// returns the L1 banks (bit per bank) the DMA uses in the next cycle.
import "DPI-C" function int tdc_dma_tick();
