// RUN: tdopt %s --split-input-file -p 'convert-train-to-linalg,linalg-generalize-named-ops,plan-memory{l1_budget=0},tier-tile-l1{budget=40960}' | filecheck %s
// RUN: tdopt %s --split-input-file -p 'convert-train-to-linalg,linalg-generalize-named-ops,plan-memory{l1_budget=2048},tier-tile-l1{budget=33792}' | filecheck %s --check-prefix=RES

// 64x64x64 matmul, 40 KiB for the tile buffers (hand-derived): two of
// every tile the grid moves, one of a tile it never moves. Whole, the three
// 16 KiB operands need 48 KiB. Every tiling that fits is compared: first
// each core's share of the split loop i (4 rows, a register block's), then
// the cost: 2 KiB per tile, the first tile's copies (in, and out for C),
// and the larger of the other copies and the compute they overlap, 4
// bytes a cycle. The compute is a core's register blocks (4 rows by up to
// 6 columns): per reduction step a load per row and column and an fmadd
// per accumulator, per tile a load and a store per accumulator.
// 32x32x64 (4 tiles): a core's 4 rows, columns in five blocks of 6 and one
// of 2: 5 x (64 x 34 + 48) + (64 x 14 + 16) = 12032 cycles a tile, 48128
// in all (192512 bytes), more than it copies (A 2 x 8 KiB, B 4 x 8 KiB, C
// 4 x 4 KiB in and out: 80 KiB). Its first tile copies 8 + 8 + 2 x 4 = 24
// KiB: 8 + 24 + 188 KiB.
// 64x16x64 computes as much (8 rows: two row blocks; columns 6 + 6 + 4:
// 2 x (2 x 2224 + 1568)) but its first tile copies A whole: 16 + 4 + 8 =
// 28 KiB. 32x16x64 costs the same as 32x32x64 (8 tiles, 16 KiB first
// copies) but has more tiles; 64x32x64 and 32x64x64 need 48 KiB.
// Buffers: A's [0, 8 KiB) and [20, 28 KiB), B's (64 rows of 128 bytes,
// stride 256) [8, 16) and [28, 36), C's [16, 20) and [36, 40). The fill
// before the matmul (output only, 16 KiB) runs as 2 tiles of 32 rows (16
// KiB moved + 8 KiB exposed + 2 x 2 KiB) rather than 1 (16 + 16 + 2), in
// two 8 KiB buffers.
// CHECK-LABEL: func.func @main()
// CHECK: tier.tiled_call @k_matmul_0_0_t32x64(%{{.*}}) {grid = array<i64: 2, 1, 1>, modes = array<i64: 2>, steps = [array<i64: 8192, 0, 0>], boxes = [array<i64: 8192, 1, 8192, 1, 8192>], l1_offsets = array<i64: 0, 8192>} : memref<64x64xf32>
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
