// RUN: tdopt %s -p 'convert-train-to-linalg,linalg-generalize-named-ops,plan-memory{l1_budget=0},tier-tile-l1{budget=8192},kernel-fuse-fill,tier-prefetch-first-tiles{budget=8192}' | filecheck %s
// RUN: tdopt %s -p 'convert-train-to-linalg,linalg-generalize-named-ops,plan-memory{l1_budget=0},tier-tile-l1{budget=4096},kernel-fuse-fill,tier-prefetch-first-tiles{budget=4096}' | filecheck %s --check-prefix=SMALL
// RUN: tdopt %s -p 'convert-train-to-linalg,linalg-generalize-named-ops,plan-memory{l1_budget=0},tier-tile-l1{budget=8192},kernel-fuse-fill,tier-prefetch-first-tiles{budget=8192}' | tdopt | filecheck %s

// Three products: %b's is independent of %a's, %c's reads %b. In 8 KiB
// the first call's tiles take 4736 bytes (%x in one 1536-byte buffer,
// two of %w1's tiles and two of the output's): the second call copies
// %u and %w2 in during the first call's last tile, so their first buffers
// go above those, and the second call's other buffers below. The third
// call's %b is the second call's output: only %w3 is copied early, into
// the bytes between the second call's buffers. The tile area grows to
// hold the second call's.
// CHECK:       tiles = 7232,
// CHECK:       sym_name = "__tdopt_tiles", type = memref<7232xi8, #tier.space<l1>>
// CHECK-LABEL: func.func @chain()
// CHECK:       tier.tiled_call @k_matmul_0_1_t16x10x24_from_fill(%{{.*}}, %{{.*}}, %{{.*}}) {{{.*}}l1_offsets = array<i64: 3200, 3200, 0, 1600, 960, 2560>} :
// CHECK:       tier.tiled_call @k_matmul_0_1_t16x10x24_from_fill(%{{.*}}, %{{.*}}, %[[B:.*]]) {{{.*}}l1_offsets = array<i64: 4736, 4736, 6272, 0, 960, 1600>, prefetched = array<i64: 0, 1>} :
// CHECK:       tier.tiled_call @k_matmul_1_1_t16x12x20_from_fill(%[[B]], %{{.*}}, %{{.*}}) {{{.*}}l1_offsets = array<i64: 0, 0, 2240, 2240, 1280, 1280>, prefetched = array<i64: 1>} :

// With 4 KiB, %u's 1536-byte tile finds no room beside the first call's
// buffers: only %w2 is prefetched, and the third call's %w3 not at all.
// SMALL-LABEL: func.func @chain()
// SMALL:       tier.tiled_call @k_matmul_0_1_t16x5x24_from_fill(
// SMALL-NOT:   prefetched
// SMALL-SAME:  :
// SMALL:       tier.tiled_call @k_matmul_0_1_t16x5x24_from_fill({{.*}}prefetched = array<i64: 1>} :
// SMALL:       tier.tiled_call @k_matmul_1_1_t16x12x20_from_fill(
// SMALL-NOT:   prefetched
// SMALL-SAME:  :
func.func @chain(%x: tensor<16x24xf32>, %w1: tensor<24x20xf32>, %u: tensor<16x24xf32>, %w2: tensor<24x20xf32>, %w3: tensor<20x12xf32>) -> (tensor<16x20xf32>, tensor<16x12xf32>) attributes {train.arg_names = ["x", "w1", "u", "w2", "w3"]} {
  %a = train.matmul %x, %w1 : (tensor<16x24xf32>, tensor<24x20xf32>) -> tensor<16x20xf32>
  %b = train.matmul %u, %w2 : (tensor<16x24xf32>, tensor<24x20xf32>) -> tensor<16x20xf32>
  %c = train.matmul %b, %w3 : (tensor<16x20xf32>, tensor<20x12xf32>) -> tensor<16x12xf32>
  func.return %a, %c : tensor<16x20xf32>, tensor<16x12xf32>
}
