// RUN: tdopt %s --split-input-file -p 'convert-train-to-linalg,plan-memory{l1_budget=0},tier-tile-l1{budget=57344}' | filecheck %s
// RUN: tdopt %s --split-input-file -p 'convert-train-to-linalg,plan-memory{l1_budget=2048},tier-tile-l1{budget=33792}' | filecheck %s --check-prefix=RES

// 64x64x64 matmul, 56 KiB for two copies of every tile (hand-derived): the
// whole problem needs 2 x 48 KiB; halving i (A, C) or j (B, C) saves the same,
// i goes first; then j saves more than i again: 32x32 tiles, 2 x 20 KiB.
// A: 32 full rows (one 8 KiB row); B: 64 rows of 32 floats, stride 256 B;
// C: accumulated (zero-filled by the previous kernel): copied in and out.
// CHECK-LABEL: func.func @main()
// CHECK: tier.tiled_call @k_matmul_0_0_t64x64(%{{.*}}) {grid = array<i64: 1, 1, 1>, modes = array<i64: 2>, steps = [array<i64: 0, 0, 0>], boxes = [array<i64: 16384, 1, 16384, 1, 16384>], l1_offsets = array<i64: 0, 16384>} : memref<64x64xf32>
// CHECK-NEXT: tier.tiled_call @k_matmul_0_1_t32x32x64(%{{.*}}, %{{.*}}, %{{.*}}) {grid = array<i64: 2, 2, 1>, modes = array<i64: 1, 1, 3>, steps = [array<i64: 8192, 0, 0>, array<i64: 0, 128, 0>, array<i64: 8192, 128, 0>], boxes = [array<i64: 8192, 1, 8192, 1, 8192>, array<i64: 128, 64, 256, 1, 8192>, array<i64: 128, 32, 256, 1, 4096>], l1_offsets = array<i64: 0, 20480, 8192, 28672, 16384, 36864>}
// CHECK-LABEL: func.func @k_matmul_0_1_t32x32x64
// CHECK-SAME: (%{{.*}}: memref<32x64xf32>, %{{.*}}: memref<64x32xf32>, %{{.*}}: memref<32x32xf32>)
// CHECK-SAME: cluster.tile = array<i64: 32, 32, 64>

func.func @main(%a: tensor<64x64xf32>, %b: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %c = train.matmul %a, %b : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32>
  func.return %c : tensor<64x64xf32>
}

// -----

// A bias in L1 (plan-memory's 2 KiB) is used in place: the row tiles never cut
// it. 32 KiB left for tiles: rows of x and y cost 2 x 2 KiB per row, 8 rows.
// RES-LABEL: func.func @main()
// RES: tier.tiled_call @k_add_0_0_t8x256(%{{.*}}, %{{.*}}, %{{.*}}) {grid = array<i64: 32, 1, 1>, modes = array<i64: 1, 0, 2>, steps = [array<i64: 8192, 0, 0>, array<i64: 0, 0, 0>, array<i64: 8192, 0, 0>], boxes = [array<i64: 8192, 1, 8192, 1, 8192>, array<i64: 1024, 1, 1024, 1, 1024>, array<i64: 8192, 1, 8192, 1, 8192>], l1_offsets = array<i64: 0, 16384, 0, 0, 8192, 24576>}
func.func @main(%x: tensor<256x256xf32>, %bias: tensor<256xf32>) -> tensor<256x256xf32> {
  %y = train.add %x, %bias : (tensor<256x256xf32>, tensor<256xf32>) -> tensor<256x256xf32>
  func.return %y : tensor<256x256xf32>
}
