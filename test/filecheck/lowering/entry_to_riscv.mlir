// RUN: tdopt %s -p convert-train-to-linalg,linalg-generalize-named-ops,plan-memory,convert-globals-to-sections,convert-entry-to-riscv | filecheck %s
// RUN: tdopt %s -p 'convert-train-to-linalg,linalg-generalize-named-ops,plan-memory,convert-globals-to-sections{poison=true}' | filecheck %s --check-prefix=POISON
// RUN: tdopt %s -p convert-train-to-linalg,linalg-generalize-named-ops,plan-memory,convert-globals-to-sections,convert-entry-to-riscv,convert-cluster-to-riscv | filecheck %s --check-prefix=LOWERED

// A call on core 0: the buffers' addresses in a0.., then `call`; the
// entry's frame (ra at 12(sp)) around its body, then 0 returned.
// LOWERED-LABEL: riscv_func.func public @tdopt_step()
// LOWERED-NEXT: rvx.asm "addi sp, sp, -16"
// LOWERED-NEXT: rvx.asm "sw ra, 12(sp)"
// LOWERED:      rvx.asm "la a0, w"
// LOWERED-NEXT: rvx.asm "la a1, __tdopt_arena"
// LOWERED-NEXT: rvx.asm "la a2, w"
// LOWERED-NEXT: rvx.asm "call k_sub_3_0"
// LOWERED-NEXT: rvx.asm "lw ra, 12(sp)"
// LOWERED-NEXT: rvx.asm "addi sp, sp, 16"
// LOWERED-NEXT: rvx.asm "li a0, 0"
// LOWERED-NEXT: riscv_func.return

// With poison, the arena (scratch) starts as signalling NaNs (12 words);
// other globals without an initial value (here the input) stay zeros.
// POISON:      riscv.label "__tdopt_arena"
// POISON-NEXT: riscv.directive ".fill" "12, 4, 0x7fbadbad"
// POISON:      riscv.label "x"
// POISON-NEXT: riscv.directive ".zero" "32"

// Globals become labelled data in their tier's section (zeros, or the
// initial value as words); an in-place output is an alias symbol with the
// size of the tensor; the entry passes buffer addresses in a0..a7 (arena
// base + planned offset) and calls the kernels, saving ra.
// CHECK: riscv.assembly_section ".section .l1,\22aw\22,@progbits" {
// CHECK-NEXT: riscv.directive ".globl" "__tdopt_arena"
// CHECK-NEXT: riscv.directive ".p2align" "3"
// CHECK-NEXT: riscv.label "__tdopt_arena"
// CHECK-NEXT: riscv.directive ".zero" "48"
// CHECK:      riscv.directive ".globl" "w_updated"
// CHECK-NEXT: riscv.directive ".set" "w_updated, w"
// CHECK-NEXT: riscv.directive ".size" "w_updated, 48"
// CHECK:      riscv.label "const_5"
// CHECK-NEXT: rvx.words [1008981770]
// CHECK-LABEL: riscv_func.func public @tdopt_step()
// CHECK-NEXT: cluster.call {kernel = @k_matmul_0_0
// CHECK:      cluster.call {kernel = @k_sub_3_0, homes = [@w, @__tdopt_arena, @w], home_offsets = array<i64: 0, 0, 0>}
// CHECK-NEXT: cluster.return
// CHECK-NEXT: }
// CHECK:      riscv.directive ".set" "main, tdopt_step"
func.func @step(%x: tensor<2x4xf32>, %g: tensor<4x3xf32>) -> (tensor<2x3xf32>, tensor<4x3xf32>) attributes {train.result_names = ["y", "w_updated"]} {
  %w = train.param @w trainable = dense<0.5> : tensor<4x3xf32>
  %y = train.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %r = train.relu %y : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %lr = train.constant dense<0.01> : tensor<f32>
  %s = train.mul %g, %lr : (tensor<4x3xf32>, tensor<f32>) -> tensor<4x3xf32>
  %wu = train.sub %w, %s : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  func.return %r, %wu : tensor<2x3xf32>, tensor<4x3xf32>
}
