// RUN: tdopt %s -p 'convert-train-to-linalg,linalg-generalize-named-ops,plan-memory{l1_budget=0},tier-tile-l1{budget=12288},kernel-fuse-fill,tier-prefetch-first-tiles{budget=12288}' | filecheck %s
// RUN: tdopt %s -p 'convert-train-to-linalg,linalg-generalize-named-ops,plan-memory{l1_budget=0},tier-tile-l1{budget=12288},kernel-fuse-fill,tier-prefetch-first-tiles{budget=12288}' | tdopt | filecheck %s
// RUN: tdopt %s -p 'convert-train-to-linalg,linalg-generalize-named-ops,plan-memory{l1_budget=0},tier-tile-l1{budget=10240},kernel-fuse-fill,tier-prefetch-first-tiles{budget=10240}' | filecheck %s --check-prefix=MID
// RUN: tdopt %s -p 'convert-train-to-linalg,linalg-generalize-named-ops,plan-memory{l1_budget=0},tier-tile-l1{budget=8192},kernel-fuse-fill,tier-prefetch-first-tiles{budget=8192}' | filecheck %s --check-prefix=SMALL

// Three products: %b's is independent of %a's, %c's reads %b. The first
// two are cut into 4 tiles of 10 columns, whose buffers take the first
// 8192 bytes of the tile area (%x's 3072 once, %w1's 1920 and the
// output's 640 twice each). With 12 KiB, the second call's first tile of
// %u (3072 bytes, the largest input) is copied during the first call's
// last tile, into bytes above those; %w2's (1920) no longer fits beside
// them. The third call reads %b, which the second call writes: only %w3
// is copied early, into bytes the second call's buffers leave free. The
// tile area grows to hold the second call's.
// CHECK:       tiles = 11264,
// CHECK:       sym_name = "__tdopt_tiles", type = memref<11264xi8, #tier.space<l1>>
// CHECK-LABEL: func.func @chain()
// CHECK:       tier.tiled_call @k_matmul_0_1_t16x10x48_from_fill(%{{.*}}, %{{.*}}, %{{.*}}) {grid = array<i64: 4, 1, 1>, {{.*}}l1_offsets = array<i64: 5120, 5120, 0, 2560, 1920, 4480>} :
// CHECK:       tier.tiled_call @k_matmul_0_1_t16x10x48_from_fill(%{{.*}}, %{{.*}}, %[[B:.*]]) {{{.*}}l1_offsets = array<i64: 8192, 8192, 0, 1920, 3840, 4480>, prefetched = array<i64: 0>} :
// CHECK:       tier.tiled_call @k_matmul_1_1_t16x12x40_from_fill(%[[B]], %{{.*}}, %{{.*}}) {{{.*}}l1_offsets = array<i64: 0, 0, 5120, 5120, 2560, 2560>, prefetched = array<i64: 1>} :

// With 10 KiB, 2048 bytes are free beside the first call's buffers: %u's
// tile does not fit there, %w2's does.
// MID:         tiles = 10112,
// MID-LABEL:   func.func @chain()
// MID:         tier.tiled_call @k_matmul_0_1_t16x10x48_from_fill(
// MID-NOT:     prefetched
// MID-SAME:    :
// MID:         tier.tiled_call @k_matmul_0_1_t16x10x48_from_fill({{.*}}l1_offsets = array<i64: 0, 0, 8192, 3072, 4992, 5632>, prefetched = array<i64: 1>} :
// MID:         tier.tiled_call @k_matmul_1_1_t16x12x40_from_fill({{.*}}l1_offsets = array<i64: 0, 0, 6272, 6272, 2560, 2560>, prefetched = array<i64: 1>} :

// With 8 KiB the first call's buffers take it all: nothing is copied early.
// SMALL-LABEL: func.func @chain()
// SMALL-NOT:   prefetched
func.func @chain(%x: tensor<16x48xf32>, %w1: tensor<48x40xf32>, %u: tensor<16x48xf32>, %w2: tensor<48x40xf32>, %w3: tensor<40x12xf32>) -> (tensor<16x40xf32>, tensor<16x12xf32>) attributes {train.arg_names = ["x", "w1", "u", "w2", "w3"]} {
  %a = train.matmul %x, %w1 : (tensor<16x48xf32>, tensor<48x40xf32>) -> tensor<16x40xf32>
  %b = train.matmul %u, %w2 : (tensor<16x48xf32>, tensor<48x40xf32>) -> tensor<16x40xf32>
  %c = train.matmul %b, %w3 : (tensor<16x40xf32>, tensor<40x12xf32>) -> tensor<16x12xf32>
  func.return %a, %c : tensor<16x40xf32>, tensor<16x12xf32>
}
