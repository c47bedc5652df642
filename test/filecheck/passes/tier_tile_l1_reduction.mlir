// RUN: tdopt %s -p 'convert-train-to-linalg,linalg-generalize-named-ops,plan-memory{l1_budget=0},tier-tile-l1{budget=4096}' | filecheck %s

// A 2x4096 @ 4096x2 matmul with 4 KiB of tiles: the parallel loops are
// cut to one row and column and still 2 * (16 KiB + 16 KiB) do not fit, so
// the reduction loop is cut too (64 tiles of 64: A 2x64 and B 64x2 twice,
// 1024 bytes, C 2x2 once, 16: the grid never moves it). The grid runs the reduction loop; C's step along it is
// 0, so the driver keeps the accumulating C tile in L1 from one tile to the
// next (copied in before the first, out after the last): per step the DMA
// moves A and B once (65536 bytes) plus C in once (16), and C out once
// after the matmul and once after the fill before it (32). The floor: A and
// B must reach L1 once (65536) and C leave it once (16).
// CHECK: tiles = 2064, tiled_calls = 2, dma_in = 65552, dma_out = 32, dma_floor = 65552>
// CHECK: tier.tiled_call @k_matmul_0_1_t2x2x64(%{{.*}}, %{{.*}}, %{{.*}}) {grid = array<i64: 64, 1, 1>, modes = array<i64: 1, 1, 3>, steps = [array<i64: 256, 0, 0>, array<i64: 512, 0, 0>, array<i64: 0, 0, 0>], boxes = [array<i64: 256, 2, 16384, 1, 512>, array<i64: 512, 1, 512, 1, 512>, array<i64: 16, 1, 16, 1, 16>]
// CHECK-LABEL: func.func @k_matmul_0_1_t2x2x64(%{{.*}}: memref<2x64xf32>, %{{.*}}: memref<64x2xf32>, %{{.*}}: memref<2x2xf32>)
func.func @main(%a: tensor<2x4096xf32>, %b: tensor<4096x2xf32>) -> tensor<2x2xf32> {
  %c = train.matmul %a, %b : (tensor<2x4096xf32>, tensor<4096x2xf32>) -> tensor<2x2xf32>
  func.return %c : tensor<2x2xf32>
}
