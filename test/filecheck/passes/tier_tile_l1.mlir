// RUN: tdopt %s --split-input-file -p 'convert-train-to-linalg,plan-memory{l1_budget=0},tier-tile-l1{budget=40960}' | filecheck %s
// RUN: tdopt %s --split-input-file -p 'convert-train-to-linalg,plan-memory{l1_budget=2048},tier-tile-l1{budget=33792}' | filecheck %s --check-prefix=RES

// 64x64x64 matmul, 40 KiB for the tile buffers (hand-derived): two of
// every tile the grid moves, one of a tile it never moves. Whole, the three
// 16 KiB operands need 48 KiB. Every tiling that fits is compared: first
// each core's share of the split loop i (4 rows, a register block's), then
// bytes copied plus 2 KiB per tile.
// 64x16x64: A is copied once into one buffer (16 KiB; the grid never moves
// it), B and C in 4 column strips of 16 floats, two buffers each (4 KiB):
// B 4 x 4 KiB in, C 4 x 4 KiB in and out (accumulated: zero-filled by the
// previous kernel): 64 KiB and 4 tiles, in 16 + 2 x 8 = 32 KiB.
// 32x32x64 would copy A 2 x 8 KiB, B 4 x 8 KiB, C 4 x 4 KiB twice: 80 KiB;
// 64x32x64 needs 16 + 2 x 16 = 48 KiB. B's strip: 64 rows of 64 bytes,
// stride 256. The moving tiles take [0, 8 KiB) and [8, 16 KiB), A after
// them. The cost also counts one tile of every copied operand, in and out:
// the first tile's copies in and the last one's out overlap no compute. So
// the fill before the matmul (output only, 16 KiB) runs as 2 tiles of 32
// rows (16 KiB moved + 8 KiB exposed + 2 x 2 KiB) rather than 1 (16 + 16 +
// 2), in two 8 KiB buffers.
// CHECK-LABEL: func.func @main()
// CHECK: tier.tiled_call @k_matmul_0_0_t32x64(%{{.*}}) {grid = array<i64: 2, 1, 1>, modes = array<i64: 2>, steps = [array<i64: 8192, 0, 0>], boxes = [array<i64: 8192, 1, 8192, 1, 8192>], l1_offsets = array<i64: 0, 8192>} : memref<64x64xf32>
// CHECK-NEXT: tier.tiled_call @k_matmul_0_1_t64x16x64(%{{.*}}, %{{.*}}, %{{.*}}) {grid = array<i64: 4, 1, 1>, modes = array<i64: 1, 1, 3>, steps = [array<i64: 0, 0, 0>, array<i64: 64, 0, 0>, array<i64: 64, 0, 0>], boxes = [array<i64: 16384, 1, 16384, 1, 16384>, array<i64: 64, 64, 256, 1, 4096>, array<i64: 64, 64, 256, 1, 4096>], l1_offsets = array<i64: 16384, 16384, 0, 8192, 4096, 12288>}
// CHECK-LABEL: func.func @k_matmul_0_1_t64x16x64
// CHECK-SAME: (%{{.*}}: memref<64x64xf32>, %{{.*}}: memref<64x16xf32>, %{{.*}}: memref<64x16xf32>)
// CHECK-SAME: cluster.tile = array<i64: 64, 16, 64>

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
