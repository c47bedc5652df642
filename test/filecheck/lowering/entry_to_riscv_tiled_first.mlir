// RUN: tdopt %s -p 'convert-globals-to-sections,cluster-mark-parallel,convert-entry-to-riscv,convert-cluster-to-riscv' | filecheck %s

// A tiled call with a first kernel (kernel-fuse-fill's cut reduction,
// kernel_fuse_fill_cut.mlir): its descriptor (struct tdrt_tiled_call in
// runtime/include/tdrt_tiled.h) names the kernel, then the first kernel,
// the mask of first_dims (bit d for grid dimension d: [2] -> 4) and the
// flags (1: the kernel forked over the cores, 2: the first kernel, 4: there
// is a first kernel; all three here: 7), then the operand count, the grid
// and the operands.
// CHECK: riscv.label "__tdopt_tiled_0"
// CHECK-NEXT: riscv.directive ".word" "k_matmul_0_1_t8x4x64, k_matmul_0_1_t8x4x64_from_fill, 4, 0, 0, 7, 0, 0, 3, 2, 8, 4, 1, a, __tdopt_tiles+0, __tdopt_tiles+3200, 8192, 0, 256, 256, 8, 1024, 1, 2048, 1, b, __tdopt_tiles+2048, __tdopt_tiles+5248, 0, 16, 8192, 16, 64, 128, 1, 1024, 2, result0, __tdopt_tiles+3072, __tdopt_tiles+6272, 1024, 16, 0, 16, 8, 128, 1, 128"
builtin.module attributes {cluster.memory_plan = #cluster.memory_plan<data = 51200, arena = 0, l1 = 0, l2 = 51200, tiles = 6400, tiled_calls = 1, dma_in = 196608, dma_out = 2048, dma_floor = 51200>} {
  "memref.global"() <{sym_name = "__tdopt_tiles", type = memref<6400xi8, #tier.space<l1>>, initial_value, sym_visibility = "public", alignment = 8 : i64}> {cluster.role = #cluster.role<tiles>} : () -> ()
  "memref.global"() <{sym_name = "a", type = memref<16x256xf32, #tier.space<l2>>, initial_value, sym_visibility = "public"}> {cluster.role = #cluster.role<input>, cluster.tensor = "a"} : () -> ()
  "memref.global"() <{sym_name = "b", type = memref<256x32xf32, #tier.space<l2>>, initial_value, sym_visibility = "public"}> {cluster.role = #cluster.role<input>, cluster.tensor = "b"} : () -> ()
  "memref.global"() <{sym_name = "result0", type = memref<16x32xf32, #tier.space<l2>>, initial_value, sym_visibility = "public"}> {cluster.role = #cluster.role<output>, cluster.tensor = "result0"} : () -> ()
  func.func @main() attributes {cluster.entry, cluster.memory_plan = #cluster.memory_plan<arena = 0>} {
    %0 = memref.get_global @a : memref<16x256xf32, #tier.space<l2>>
    %1 = "memref.memory_space_cast"(%0) : (memref<16x256xf32, #tier.space<l2>>) -> memref<16x256xf32>
    %2 = memref.get_global @b : memref<256x32xf32, #tier.space<l2>>
    %3 = "memref.memory_space_cast"(%2) : (memref<256x32xf32, #tier.space<l2>>) -> memref<256x32xf32>
    %4 = memref.get_global @result0 : memref<16x32xf32, #tier.space<l2>>
    %5 = "memref.memory_space_cast"(%4) : (memref<16x32xf32, #tier.space<l2>>) -> memref<16x32xf32>
    tier.tiled_call @k_matmul_0_1_t8x4x64(%1, %3, %5) {grid = array<i64: 2, 8, 4>, modes = array<i64: 1, 1, 2>, steps = [array<i64: 8192, 0, 256>, array<i64: 0, 16, 8192>, array<i64: 1024, 16, 0>], boxes = [array<i64: 256, 8, 1024, 1, 2048>, array<i64: 16, 64, 128, 1, 1024>, array<i64: 16, 8, 128, 1, 128>], l1_offsets = array<i64: 0, 3200, 2048, 5248, 3072, 6272>, first_callee = @k_matmul_0_1_t8x4x64_from_fill, first_dims = array<i64: 2>} : memref<16x256xf32>, memref<256x32xf32>, memref<16x32xf32>
    func.return
  }
  func.func @k_matmul_0_1_t8x4x64(%0: memref<8x64xf32>, %1: memref<64x4xf32>, %2: memref<8x4xf32>) attributes {cluster.kernel = "matmul", cluster.tile = array<i64: 8, 4, 64>} {
    linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%0, %1 : memref<8x64xf32>, memref<64x4xf32>) outs(%2 : memref<8x4xf32>) {
    ^bb0(%3: f32, %4: f32, %5: f32):
      %6 = arith.mulf %3, %4 : f32
      %7 = arith.addf %5, %6 : f32
      linalg.yield %7 : f32
    }
    func.return
  }
  func.func @k_matmul_0_1_t8x4x64_from_fill(%0: memref<8x64xf32>, %1: memref<64x4xf32>, %2: memref<8x4xf32>) attributes {cluster.kernel = "matmul", cluster.tile = array<i64: 8, 4, 64>} {
    %3 = arith.constant 0.000000e+00 : f32
    linalg.fill ins(%3 : f32) outs(%2 : memref<8x4xf32>)
    linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%0, %1 : memref<8x64xf32>, memref<64x4xf32>) outs(%2 : memref<8x4xf32>) {
    ^bb0(%4: f32, %5: f32, %6: f32):
      %7 = arith.mulf %4, %5 : f32
      %8 = arith.addf %6, %7 : f32
      linalg.yield %8 : f32
    }
    func.return
  }
}

