// RUN: tdopt %s -p 'convert-train-to-linalg,linalg-generalize-named-ops,plan-memory{l1_budget=0},tier-tile-l1{budget=40960},convert-globals-to-sections,cluster-mark-parallel,convert-entry-to-riscv' | filecheck %s --check-prefix=DATA
// RUN: tdopt %s -p 'convert-train-to-linalg,linalg-generalize-named-ops,plan-memory{l1_budget=0},tier-tile-l1{budget=40960},convert-globals-to-sections,cluster-mark-parallel,convert-entry-to-riscv' | tdopt -p convert-cluster-to-riscv | filecheck %s

// RUN: tdopt %s -p 'convert-train-to-linalg,linalg-generalize-named-ops,plan-memory{l1_budget=0},tier-tile-l1{budget=40960},tier-prefetch-first-tiles{budget=40960},convert-globals-to-sections,cluster-mark-parallel,convert-entry-to-riscv' | filecheck %s --check-prefix=PFDATA
// RUN: tdopt %s -p 'convert-train-to-linalg,linalg-generalize-named-ops,plan-memory{l1_budget=0},tier-tile-l1{budget=40960},tier-prefetch-first-tiles{budget=40960},convert-globals-to-sections,cluster-mark-parallel,convert-entry-to-riscv' | tdopt -p convert-cluster-to-riscv | filecheck %s --check-prefix=PF
// convert-entry-to-riscv leaves each descriptor as data, a
// cluster.tiled_descriptor in .rodata (it prints and parses back, the second
// RUN line); convert-cluster-to-riscv writes its words.
// DATA: riscv.assembly_section ".section .rodata{{.*}}" {
// DATA-NEXT: cluster.tiled_descriptor "__tdopt_tiled_0" {kernel = @k_matmul_0_0_t32x64, first_dims = array<i64>, grid = array<i64: 2, 1, 1>, modes = array<i64: 2>, homes = [@result0], home_offsets = array<i64: 0>, l1_offsets = array<i64: 0, 8192>, steps = array<i64: 8192, 0, 0>, boxes = array<i64: 8192, 1, 8192, 1, 8192>, parallel}
// DATA-NEXT: cluster.tiled_descriptor "__tdopt_tiled_1" {kernel = @k_matmul_0_1_t32x32x64, first_dims = array<i64>, grid = array<i64: 2, 2, 1>, modes = array<i64: 1, 1, 3>, homes = [@a, @b, @result0], home_offsets = array<i64: 0, 0, 0>, l1_offsets = array<i64: 0, 20480, 8192, 28672, 16384, 36864>, steps = array<i64: 8192, 0, 0, 0, 128, 0, 8192, 128, 0>, boxes = array<i64: 8192, 1, 8192, 1, 8192, 128, 64, 256, 1, 8192, 128, 32, 256, 1, 4096>, parallel}

// Each tier.tiled_call becomes `call tdrt_tiled` with a descriptor in .rodata
// laid out as struct tdrt_tiled_call (runtime/include/tdrt_tiled.h): kernel,
// first kernel and its grid dimensions (none here: 0, 0; see
// entry_to_riscv_tiled_first.mlir), epilogue and its grid dimensions
// (none: 0, 0), flags (1: forked over the cores), the next call's
// descriptor and the operands of it to copy in early (none: 0, 0),
// operand count, grid[3], then per
// operand: mode, home address, two L1 buffers, steps[3], row_len, rows,
// row_stride, planes, plane_stride. The tiling and the buffers are the ones
// of tier_tile_l1.mlir (hand-derived there; a tile the grid never moves has
// one buffer: both addresses alike).
// CHECK: rvx.asm "la a0, __tdopt_tiled_0"
// CHECK-NEXT: rvx.asm "call tdrt_tiled"
// CHECK-NEXT: rvx.asm "la a0, __tdopt_tiled_1"
// CHECK-NEXT: rvx.asm "call tdrt_tiled"
// CHECK: riscv.label "__tdopt_tiled_0"
// CHECK-NEXT: riscv.directive ".word" "k_matmul_0_0_t32x64, 0, 0, 0, 0, 1, 0, 0, 1, 2, 1, 1, 2, result0, __tdopt_tiles+0, __tdopt_tiles+8192, 8192, 0, 0, 8192, 1, 8192, 1, 8192"
// CHECK: riscv.label "__tdopt_tiled_1"
// CHECK-NEXT: riscv.directive ".word" "k_matmul_0_1_t32x32x64, 0, 0, 0, 0, 1, 0, 0, 3, 2, 2, 1, 1, a, __tdopt_tiles+0, __tdopt_tiles+20480, 8192, 0, 0, 8192, 1, 8192, 1, 8192, 1, b, __tdopt_tiles+8192, __tdopt_tiles+28672, 0, 128, 0, 128, 64, 256, 1, 8192, 3, result0, __tdopt_tiles+16384, __tdopt_tiles+36864, 8192, 128, 0, 128, 32, 256, 1, 4096"
// With tier-prefetch-first-tiles, the fill of the output (call 0) copies
// the product's first tiles of %a and %b in during its last tile: its
// descriptor names the product's (`next`, `prefetch`: operands 0 and 1;
// flags 1 | 32), whose modes for them have TDRT_TILE_PREFETCHED (1 | 4).
// Their first buffers are above the fill's two (0 and 8192); the output,
// which the fill writes, is copied in by the product itself.
// PFDATA: cluster.tiled_descriptor "__tdopt_tiled_0" {{{.*}}l1_offsets = array<i64: 0, 8192>{{.*}}, next = @__tdopt_tiled_1, prefetch = array<i64: 0, 1>}
// PFDATA-NEXT: cluster.tiled_descriptor "__tdopt_tiled_1" {{{.*}}l1_offsets = array<i64: 16384, 0, 24576, 8192, 32768, 36864>{{.*}}, prefetched = array<i64: 0, 1>}
// PF: riscv.label "__tdopt_tiled_0"
// PF-NEXT: riscv.directive ".word" "k_matmul_0_0_t32x64, 0, 0, 0, 0, 33, __tdopt_tiled_1, 3, 1, 2, 1, 1, 2, result0,
// PF: riscv.label "__tdopt_tiled_1"
// PF-NEXT: riscv.directive ".word" "k_matmul_0_1_t32x32x64, 0, 0, 0, 0, 1, 0, 0, 3, 2, 2, 1, 5, a, __tdopt_tiles+16384, __tdopt_tiles+0, {{.*}}, 5, b, __tdopt_tiles+24576, __tdopt_tiles+8192, {{.*}}, 3, result0, __tdopt_tiles+32768, __tdopt_tiles+36864,
func.func @main(%a: tensor<64x64xf32>, %b: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %c = train.matmul %a, %b : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32>
  func.return %c : tensor<64x64xf32>
}
