// tdc_cluster: the tdopt compute cluster.
//
// NUM_CORES CV32E40P cores (RV32IMF, FPU via the APU interface) and the cluster
// interconnect timing: per-bank arbitration of the 16 word-interleaved L1 banks,
// a single shared L2 port with fixed latency, and the peripheral port.
// Memory contents, the DMA engine, the peripheral registers and the hazard
// checker live in the C++ testbench (runtime/tb) and are reached through DPI
// calls made at the clock edge at which the interconnect grants an access, so
// every stall the cores see is decided here, cycle by cycle. The DMA tells the
// interconnect which L1 banks it occupies each cycle; cores lose those banks.
//
// One model serves every configuration: the number of active cores gates
// fetch_enable of the cores (inactive cores never fetch) and the L1 size is
// checked by the testbench, so neither needs a rebuild.
//
// Simulation speed: the only ports are the clock and the reset. Verilator
// re-evaluates, on every eval() call, all combinational logic that reads a
// top-level input, so the run configuration (boot address, active cores) is
// read once through DPI at time 0, and the DMA engine ticks inside the clocked
// block below (after the cores' accesses of the same edge, as before) and
// hands its L1 bank mask to a flop instead of an input port.
module tdc_cluster #(
    parameter int NUM_CORES  = 8,
    parameter int L2_LATENCY = 5,  // cycles from grant to rvalid for a core access to L2
    parameter int FPU_LAT    = 1,  // pipeline registers in the FPU add/mul and other lanes
    parameter int COREV_PULP = 1   // CORE-V extensions: hardware loops, post-increment loads/stores
) (
    input logic clk_i,
    input logic rst_ni
);
  `include "tdc_dpi.svh"

  // Run configuration, fixed for the whole run.
  logic [31:0] boot_addr;
  logic [ 7:0] active_cores;
  initial begin
    boot_addr    = tdc_boot_addr();
    active_cores = 8'(tdc_active_cores());
  end

  logic [15:0] dma_l1_banks_q;  // L1 banks the DMA uses this cycle (it has priority)

  localparam logic [1:0] T_L1 = 2'd0, T_L2 = 2'd1, T_PERIPH = 2'd2, T_OTHER = 2'd3;

  // Address decode of a core data access (the testbench rejects what is out of range).
  function automatic logic [1:0] decode(input logic [31:0] a);
    if (a[31:21] == 11'h080) return T_L1;  // 0x1000_0000 .. 0x101F_FFFF
    if (a[31:12] == 20'h10200) return T_PERIPH;  // 0x1020_0000 .. 0x1020_0FFF
    if (a[31:21] == 11'h0E0) return T_L2;  // 0x1C00_0000 .. 0x1C1F_FFFF
    return T_OTHER;
  endfunction

  // Core data ports.
  logic [NUM_CORES-1:0] data_req, data_gnt, data_we, rvalid_q;
  logic [31:0] data_addr[NUM_CORES];
  logic [31:0] data_wdata[NUM_CORES];
  logic [31:0] rdata_q[NUM_CORES];
  logic [3:0] data_be[NUM_CORES];
  logic [31:0] pc_ex[NUM_CORES];

  // Per-core performance events tapped from the core.
  logic [NUM_CORES-1:0] ev_instret, ev_fp, ev_ld_stall, ev_fpu_stall;

  // Core instruction ports (ideal memory: always granted, data one cycle later).
  logic [NUM_CORES-1:0] instr_req, instr_rvalid_q;
  logic [31:0] instr_addr[NUM_CORES];
  logic [31:0] instr_rdata_q[NUM_CORES];

  genvar g;
  for (g = 0; g < NUM_CORES; g++) begin : core_g

    cv32e40p_top #(
        .COREV_PULP    (COREV_PULP),
        .FPU           (1),
        .FPU_ADDMUL_LAT(FPU_LAT),
        .FPU_OTHERS_LAT(FPU_LAT)
    ) u_core (
        .clk_i              (clk_i),
        .rst_ni             (rst_ni),
        .pulp_clock_en_i    (1'b1),
        .scan_cg_en_i       (1'b0),
        .boot_addr_i        (boot_addr),
        .mtvec_addr_i       (boot_addr),
        .dm_halt_addr_i     (32'h0),
        .hart_id_i          (32'(g)),
        .dm_exception_addr_i(32'h0),
        .instr_req_o        (instr_req[g]),
        .instr_gnt_i        (1'b1),
        .instr_rvalid_i     (instr_rvalid_q[g]),
        .instr_addr_o       (instr_addr[g]),
        .instr_rdata_i      (instr_rdata_q[g]),
        .data_req_o         (data_req[g]),
        .data_gnt_i         (data_gnt[g]),
        .data_rvalid_i      (rvalid_q[g]),
        .data_we_o          (data_we[g]),
        .data_be_o          (data_be[g]),
        .data_addr_o        (data_addr[g]),
        .data_wdata_o       (data_wdata[g]),
        .data_rdata_i       (rdata_q[g]),
        .irq_i              (32'h0),
        .irq_ack_o          (),
        .irq_id_o           (),
        .debug_req_i        (1'b0),
        .debug_havereset_o  (),
        .debug_running_o    (),
        .debug_halted_o     (),
        .fetch_enable_i     (8'(g) < active_cores),
        .core_sleep_o       ()
    );

    // pc_ex holds the pc of the load/store in EX, i.e. the one issuing data_req.
    assign pc_ex[g] = u_core.core_i.pc_ex;
    assign ev_instret[g] = u_core.core_i.mhpmevent_minstret;
    assign ev_ld_stall[g] = u_core.core_i.mhpmevent_ld_stall;
    assign ev_fpu_stall[g] = u_core.core_i.perf_apu_cont | u_core.core_i.perf_apu_dep
                           | u_core.core_i.perf_apu_wb | u_core.core_i.perf_apu_type;
    assign ev_fp[g] = u_core.apu_req & u_core.apu_gnt;
  end

  // ---------------------------------------------------------------------------
  // Data interconnect: a core with a response still outstanding is not granted
  // again (keeps responses in order across targets with different latencies);
  // a response and a new grant may share a cycle, so L1 runs back to back.
  logic [NUM_CORES-1:0] busy_q, stall_q, eligible, lost_l1, lost_l2;
  logic [7:0] wait_q[NUM_CORES];
  logic [1:0] target[NUM_CORES];
  logic [7:0] prio_q;  // rotating priority: core prio_q wins ties this cycle

  function automatic int rank(input int core, input logic [7:0] prio);
    return (core + NUM_CORES - int'(prio)) % NUM_CORES;
  endfunction

  always_comb begin
    for (int c = 0; c < NUM_CORES; c++) begin
      target[c]   = decode(data_addr[c]);
      eligible[c] = data_req[c] & ~busy_q[c];
    end
    for (int c = 0; c < NUM_CORES; c++) begin
      lost_l1[c] = eligible[c] && target[c] == T_L1 && dma_l1_banks_q[data_addr[c][5:2]];
      lost_l2[c] = 1'b0;
      for (int d = 0; d < NUM_CORES; d++) begin
        if (d != c && eligible[c] && eligible[d] && target[d] == target[c]
            && rank(d, prio_q) < rank(c, prio_q)) begin
          // L1: one access per bank (word-interleaved, bank = addr[5:2]);
          // L2: one access per cycle for the whole cluster.
          if (target[c] == T_L1 && data_addr[d][5:2] == data_addr[c][5:2]) lost_l1[c] = 1'b1;
          if (target[c] == T_L2) lost_l2[c] = 1'b1;
        end
      end
      data_gnt[c] = eligible[c] & ~lost_l1[c] & ~lost_l2[c];
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      prio_q   <= 8'd0;
      busy_q   <= '0;
      stall_q  <= '0;
      rvalid_q <= '0;
      instr_rvalid_q <= '0;
      dma_l1_banks_q <= '0;
      for (int c = 0; c < NUM_CORES; c++) begin
        wait_q[c]  <= 8'd0;
        rdata_q[c] <= 32'h0;
        instr_rdata_q[c] <= 32'h0;
      end
    end else begin
      // Testbench calls in a fixed order within the edge: instruction
      // fetches, data accesses, then one DMA cycle (its bytes move after the
      // cores' accesses of this edge).
      instr_rvalid_q <= instr_req;
      for (int c = 0; c < NUM_CORES; c++)
        if (instr_req[c]) instr_rdata_q[c] <= tdc_fetch(c, instr_addr[c]);
      prio_q <= (prio_q + 8'd1 >= 8'(NUM_CORES)) ? 8'd0 : prio_q + 8'd1;
      for (int c = 0; c < NUM_CORES; c++) begin
        logic [63:0] r;
        logic [31:0] ev;
        rvalid_q[c] <= 1'b0;
        if (busy_q[c]) begin
          if (stall_q[c]) begin
            // Blocking peripheral read (barrier, DMA wait): ask again each cycle.
            r = tdc_periph_retry(c);
            if (!r[32]) begin
              busy_q[c]   <= 1'b0;
              stall_q[c]  <= 1'b0;
              rvalid_q[c] <= 1'b1;
              rdata_q[c]  <= r[31:0];
            end
          end else if (wait_q[c] <= 8'd1) begin
            busy_q[c]   <= 1'b0;
            rvalid_q[c] <= 1'b1;
          end else begin
            wait_q[c] <= wait_q[c] - 8'd1;
          end
        end else if (data_gnt[c]) begin
          r = tdc_data_access(c, data_addr[c], data_we[c], 32'(data_be[c]), data_wdata[c], pc_ex[c]);
          rdata_q[c] <= r[31:0];
          if (r[32]) begin
            busy_q[c]  <= 1'b1;
            stall_q[c] <= 1'b1;
          end else if (target[c] == T_L2 && L2_LATENCY > 1) begin
            busy_q[c] <= 1'b1;
            wait_q[c] <= 8'(L2_LATENCY - 1);
          end else begin
            rvalid_q[c] <= 1'b1;
          end
        end
        // Event bits, see tb/tb_counters.h (EV_*).
        ev = {25'd0,
              busy_q[c] & stall_q[c],  // 6: waiting on barrier / DMA wait
              (busy_q[c] & ~stall_q[c]) | lost_l2[c],  // 5: L2 access outstanding or queued
              lost_l1[c],  // 4: L1 bank conflict
              ev_fpu_stall[c],  // 3
              ev_ld_stall[c],  // 2
              ev_fp[c],  // 1
              ev_instret[c]};  // 0
        if (ev != 32'd0) tdc_core_events(c, ev);
      end
      dma_l1_banks_q <= 16'(tdc_dma_tick());  // banks the DMA holds in the next cycle
    end
  end

endmodule
