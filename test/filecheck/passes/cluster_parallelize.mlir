// RUN: tdopt %s -p convert-train-to-linalg,linalg-generalize-named-ops,plan-memory,cluster-mark-parallel | filecheck %s --check-prefix=MARK
// RUN: tdopt %s -p convert-train-to-linalg,linalg-generalize-named-ops,plan-memory,convert-globals-to-sections,cluster-mark-parallel,convert-entry-to-riscv | filecheck %s --check-prefix=FORK
// RUN: tdopt %s -p convert-train-to-linalg,linalg-generalize-named-ops,plan-memory,convert-globals-to-sections,cluster-mark-parallel,convert-entry-to-riscv | tdopt -p convert-cluster-to-riscv | filecheck %s --check-prefix=ENTRY
// RUN: tdopt %s -p convert-train-to-linalg,linalg-generalize-named-ops,plan-memory,convert-globals-to-sections,cluster-mark-parallel,convert-entry-to-riscv,convert-linalg-to-loops,lower-affine,cluster-parallelize | filecheck %s --check-prefix=SPLIT

// A broadcasting add (parallel loops, 16 rows of 4) and a full reduction to
// a scalar (reduction loops only).
func.func @main(%x : tensor<16x4xf32>, %y : tensor<4xf32>) -> (tensor<16x4xf32>, tensor<f32>) {
  %s = train.add %x, %y : (tensor<16x4xf32>, tensor<4xf32>) -> tensor<16x4xf32>
  %r = train.reduce_sum %s {axes = array<i64>} : (tensor<16x4xf32>) -> tensor<f32>
  func.return %s, %r : tensor<16x4xf32>, tensor<f32>
}

// The add splits along its first loop (16 trips); the one-element fill and
// the reduction are not marked.
// MARK-LABEL: func.func @k_add_0_0(
// MARK-SAME:  attributes {cluster.kernel = "add", cluster.parallel = array<i64: 0, 16>}
// MARK-LABEL: func.func @k_reduce_sum_1_0(
// MARK-SAME:  attributes {cluster.kernel = "reduce_sum"} {
// MARK-LABEL: func.func @k_reduce_sum_1_1(
// MARK-SAME:  attributes {cluster.kernel = "reduce_sum"} {

// The entry forks the add onto every core (cluster.fork with a
// cluster.fork_args block, which print and parse back); the reduction is a
// plain call on core 0.
// FORK-LABEL: riscv_func.func public @tdopt_main()
// FORK:          cluster.fork @__tdopt_fork_args_0
// FORK-NEXT:     cluster.call {kernel = @k_reduce_sum_1_0, homes = [@result1], home_offsets = array<i64: 0>}
// FORK:        riscv.assembly_section ".section .rodata{{.*}}" {
// FORK-NEXT:     cluster.fork_args "__tdopt_fork_args_0" {kernel = @k_add_0_0, homes = [@x, @y, @result0], home_offsets = array<i64: 0, 0, 0>}
// FORK-NEXT:   }
// convert-cluster-to-riscv: the call of the runtime through its trampoline
// (tdrt_call_block, runtime/crt0.S: the program defines none) and the
// block's words (the kernel, then a word per argument register).
// ENTRY-LABEL: riscv_func.func public @tdopt_main()
// ENTRY-NEXT:    rvx.asm "addi sp, sp, -16"
// ENTRY-NEXT:    rvx.asm "sw ra, 12(sp)"
// ENTRY-NEXT:    rvx.asm "la a0, tdrt_call_block"
// ENTRY-NEXT:    rvx.asm "la a1, __tdopt_fork_args_0"
// ENTRY-NEXT:    rvx.asm "call tdrt_parallel"
// ENTRY-NEXT:    rvx.asm "la a0, result1"
// ENTRY-NEXT:    rvx.asm "call k_reduce_sum_1_0"
// ENTRY-NEXT:    rvx.asm "la a0, result0"
// ENTRY-NEXT:    rvx.asm "la a1, result1"
// ENTRY-NEXT:    rvx.asm "call k_reduce_sum_1_1"
// ENTRY:       riscv.assembly_section ".section .rodata,\22a\22,@progbits" {
// ENTRY-NEXT:    riscv.directive ".p2align" "2"
// ENTRY-NEXT:    riscv.label "__tdopt_fork_args_0"
// ENTRY-NEXT:    riscv.directive ".word" "k_add_0_0, x, y, result0, 0, 0, 0, 0, 0"
// ENTRY-NEXT:  }
// ENTRY-NOT:   tdrt_call_block:

// Core `id` of `n` (cluster ops at this level; convert-cluster-to-riscv
// reads mhartid and NUM_CORES) runs rows [id * 16 / n, (id + 1) * 16 / n).
// SPLIT-LABEL: func.func @k_add_0_0(
// SPLIT-NOT:     riscv.
// SPLIT:         %[[IDX:.*]] = cluster.core_id : index
// SPLIT-NEXT:    %[[NX:.*]] = cluster.num_cores : index
// SPLIT-NEXT:    %[[TRIPS:.*]] = arith.constant 16 : index
// SPLIT-NEXT:    %[[ONE:.*]] = arith.constant 1 : index
// SPLIT-NEXT:    %[[NEXT:.*]] = arith.addi %[[IDX]], %[[ONE]] : index
// SPLIT-NEXT:    %[[A:.*]] = arith.muli %[[IDX]], %[[TRIPS]] : index
// SPLIT-NEXT:    %[[LO:.*]] = arith.divui %[[A]], %[[NX]] : index
// SPLIT-NEXT:    %[[B:.*]] = arith.muli %[[NEXT]], %[[TRIPS]] : index
// SPLIT-NEXT:    %[[HI:.*]] = arith.divui %[[B]], %[[NX]] : index
// SPLIT-NEXT:    scf.for %{{.*}} = %[[LO]] to %[[HI]] step %{{.*}} {
// SPLIT-NEXT:      scf.for
// SPLIT-LABEL: func.func @k_reduce_sum_1_1(
// SPLIT-NOT:     cluster.core_id
// SPLIT:         func.return
