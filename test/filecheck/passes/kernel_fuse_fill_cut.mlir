// RUN: tdopt %s --split-input-file -p 'kernel-fuse-fill{first_min_bytes=0}' | filecheck %s
// RUN: tdopt %s --split-input-file -p 'kernel-fuse-fill' | filecheck %s --check-prefix=SMALL

// A tiled matmul C[16, 32] = A[16, 256] B[256, 32] whose grid (2, 8, 4)
// cuts the reduction in four along its innermost dimension: C's tile
// stays over grid dimension 2 (step 0), so each tile of C is computed by
// four consecutive tiles. The fill's call goes; the call keeps its kernel
// and runs the fused one (the fill at its start) on the tiles whose index
// in dimension 2 is 0; C is copied out only (mode 3 -> 2). The plan loses
// the fill's call and its 2 KiB copied out (dma_out 4096 -> 2048), and
// C's 16 tiles of 128 bytes copied in (dma_in 198656 -> 196608).
// By default only outputs of at least 64 KiB get a first kernel (C has 2
// KiB): the fill stays.
// SMALL-LABEL: func.func @main(
// SMALL:       tier.tiled_call @k_fill(
// SMALL-NEXT:  tier.tiled_call @k_matmul(%{{.*}}, %{{.*}}, %{{.*}}) {grid = array<i64: 2, 8, 4>, modes = array<i64: 1, 1, 3>,
// SMALL-NOT:   first_callee
// CHECK:       cluster.memory_plan = #cluster.memory_plan<{{.*}}tiled_calls = 1, dma_in = 196608, dma_out = 2048>
// CHECK-LABEL: func.func @main(
// CHECK-NOT:   tier.tiled_call @k_fill
// CHECK:       tier.tiled_call @k_matmul(%{{.*}}, %{{.*}}, %{{.*}}) {grid = array<i64: 2, 8, 4>, modes = array<i64: 1, 1, 2>, {{.*}}, first_callee = @k_matmul_from_fill, first_dims = array<i64: 2>}
// CHECK-NEXT:  func.return
// CHECK-NOT:   func.func @k_fill(
// CHECK:       func.func @k_matmul(
// CHECK-NOT:   linalg.fill
// CHECK:       func.func @k_matmul_from_fill(
// CHECK-NEXT:  arith.constant 0.000000e+00 : f32
// CHECK-NEXT:  linalg.fill
builtin.module attributes {cluster.memory_plan = #cluster.memory_plan<data = 51200, arena = 0, l1 = 0, l2 = 51200, tiles = 6400, tiled_calls = 2, dma_in = 198656, dma_out = 4096>} {
  func.func @main(%a: memref<16x256xf32>, %b: memref<256x32xf32>, %c: memref<16x32xf32>) attributes {cluster.entry} {
    tier.tiled_call @k_fill(%c) {grid = array<i64: 1, 1, 1>, modes = array<i64: 2>, steps = [array<i64: 0, 0, 0>], boxes = [array<i64: 2048, 1, 2048, 1, 2048>], l1_offsets = array<i64: 0, 0>} : memref<16x32xf32>
    tier.tiled_call @k_matmul(%a, %b, %c) {grid = array<i64: 2, 8, 4>, modes = array<i64: 1, 1, 3>, steps = [array<i64: 8192, 0, 256>, array<i64: 0, 16, 8192>, array<i64: 1024, 16, 0>], boxes = [array<i64: 256, 8, 1024, 1, 2048>, array<i64: 16, 64, 128, 1, 1024>, array<i64: 16, 8, 128, 1, 128>], l1_offsets = array<i64: 0, 3200, 2048, 5248, 3072, 6272>} : memref<16x256xf32>, memref<256x32xf32>, memref<16x32xf32>
    func.return
  }
  func.func @k_fill(%0: memref<16x32xf32>) attributes {cluster.kernel = "matmul"} {
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%0 : memref<16x32xf32>) {
    ^bb0(%1: f32):
      %2 = arith.constant 0.000000e+00 : f32
      linalg.yield %2 : f32
    }
    func.return
  }
  func.func @k_matmul(%0: memref<8x64xf32>, %1: memref<64x4xf32>, %2: memref<8x4xf32>) attributes {cluster.kernel = "matmul"} {
    linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%0, %1 : memref<8x64xf32>, memref<64x4xf32>) outs(%2 : memref<8x4xf32>) {
    ^bb0(%3: f32, %4: f32, %5: f32):
      %6 = arith.mulf %3, %4 : f32
      %7 = arith.addf %5, %6 : f32
      linalg.yield %7 : f32
    }
    func.return
  }
}

// -----

// The same reduction cut along the outermost grid dimension (grid (4, 2,
// 8), C's step 0 in dimension 0): each tile of C is visited again after
// the others, so it is copied in each time and the fill stays.
// CHECK-LABEL: func.func @main(
// CHECK:       tier.tiled_call @k_fill(
// CHECK-NEXT:  tier.tiled_call @k_matmul(%{{.*}}, %{{.*}}, %{{.*}}) {grid = array<i64: 4, 2, 8>, modes = array<i64: 1, 1, 3>,
// CHECK-NOT:   first_callee
// CHECK-NOT:   from_fill
builtin.module {
  func.func @main(%a: memref<16x256xf32>, %b: memref<256x32xf32>, %c: memref<16x32xf32>) attributes {cluster.entry} {
    tier.tiled_call @k_fill(%c) {grid = array<i64: 1, 1, 1>, modes = array<i64: 2>, steps = [array<i64: 0, 0, 0>], boxes = [array<i64: 2048, 1, 2048, 1, 2048>], l1_offsets = array<i64: 0, 0>} : memref<16x32xf32>
    tier.tiled_call @k_matmul(%a, %b, %c) {grid = array<i64: 4, 2, 8>, modes = array<i64: 1, 1, 3>, steps = [array<i64: 256, 8192, 0>, array<i64: 8192, 0, 16>, array<i64: 0, 1024, 16>], boxes = [array<i64: 256, 8, 1024, 1, 2048>, array<i64: 16, 64, 128, 1, 1024>, array<i64: 16, 8, 128, 1, 128>], l1_offsets = array<i64: 0, 3200, 2048, 5248, 3072, 6272>} : memref<16x256xf32>, memref<256x32xf32>, memref<16x32xf32>
    func.return
  }
  func.func @k_fill(%0: memref<16x32xf32>) attributes {cluster.kernel = "matmul"} {
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%0 : memref<16x32xf32>) {
    ^bb0(%1: f32):
      %2 = arith.constant 0.000000e+00 : f32
      linalg.yield %2 : f32
    }
    func.return
  }
  func.func @k_matmul(%0: memref<8x64xf32>, %1: memref<64x4xf32>, %2: memref<8x4xf32>) attributes {cluster.kernel = "matmul"} {
    linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%0, %1 : memref<8x64xf32>, memref<64x4xf32>) outs(%2 : memref<8x4xf32>) {
    ^bb0(%3: f32, %4: f32, %5: f32):
      %6 = arith.mulf %3, %4 : f32
      %7 = arith.addf %5, %6 : f32
      linalg.yield %7 : f32
    }
    func.return
  }
}
