// RUN: not tdopt %s -p 'convert-globals-to-sections,cluster-mark-parallel,convert-entry-to-riscv' 2>&1 | filecheck %s
// RUN: not tdopt %s -p 'convert-globals-to-sections,cluster-mark-parallel,convert-entry-to-riscv' 2>&1 | filecheck %s --check-prefix=NOTRACE

// A tiled call whose first tiles some call before copies in (`prefetched`)
// needs a tiled call right before it: here it is the entry's first call.
// CHECK: error: tier.tiled_call @k_matmul_0_1_t16x10x24_from_fill has prefetched operands but no tiled call right before it to copy them in
// NOTRACE-NOT: Traceback
builtin.module attributes {cluster.memory_plan = #cluster.memory_plan<data = 4736, arena = 0, l1 = 0, l2 = 4736, tiles = 4736, tiled_calls = 1, dma_in = 3456, dma_out = 1280, dma_floor = 4736>} {
  "memref.global"() <{sym_name = "__tdopt_tiles", type = memref<4736xi8, #tier.space<l1>>, initial_value, sym_visibility = "public", alignment = 8 : i64}> {cluster.role = #cluster.role<tiles>} : () -> ()
  "memref.global"() <{sym_name = "a", type = memref<16x24xf32, #tier.space<l2>>, initial_value, sym_visibility = "public"}> {cluster.role = #cluster.role<input>, cluster.tensor = "a"} : () -> ()
  "memref.global"() <{sym_name = "b", type = memref<24x20xf32, #tier.space<l2>>, initial_value, sym_visibility = "public"}> {cluster.role = #cluster.role<input>, cluster.tensor = "b"} : () -> ()
  "memref.global"() <{sym_name = "result0", type = memref<16x20xf32, #tier.space<l2>>, initial_value, sym_visibility = "public"}> {cluster.role = #cluster.role<output>, cluster.tensor = "result0"} : () -> ()
  func.func @main() attributes {cluster.entry, cluster.memory_plan = #cluster.memory_plan<arena = 0>} {
    %0 = memref.get_global @a : memref<16x24xf32, #tier.space<l2>>
    %1 = "memref.memory_space_cast"(%0) : (memref<16x24xf32, #tier.space<l2>>) -> memref<16x24xf32>
    %2 = memref.get_global @b : memref<24x20xf32, #tier.space<l2>>
    %3 = "memref.memory_space_cast"(%2) : (memref<24x20xf32, #tier.space<l2>>) -> memref<24x20xf32>
    %4 = memref.get_global @result0 : memref<16x20xf32, #tier.space<l2>>
    %5 = "memref.memory_space_cast"(%4) : (memref<16x20xf32, #tier.space<l2>>) -> memref<16x20xf32>
    tier.tiled_call @k_matmul_0_1_t16x10x24_from_fill(%1, %3, %5) {grid = array<i64: 2, 1, 1>, modes = array<i64: 1, 1, 2>, steps = [array<i64: 0, 0, 0>, array<i64: 40, 0, 0>, array<i64: 40, 0, 0>], boxes = [array<i64: 1536, 1, 1536, 1, 1536>, array<i64: 40, 24, 80, 1, 960>, array<i64: 40, 16, 80, 1, 640>], l1_offsets = array<i64: 3200, 3200, 0, 1600, 960, 2560>, prefetched = array<i64: 0>} : memref<16x24xf32>, memref<24x20xf32>, memref<16x20xf32>
    func.return
  }
  func.func @k_matmul_0_1_t16x10x24_from_fill(%0: memref<16x24xf32>, %1: memref<24x10xf32>, %2: memref<16x10xf32>) attributes {cluster.kernel = "matmul", cluster.tile = array<i64: 16, 10, 24>} {
    %3 = arith.constant 0.000000e+00 : f32
    linalg.fill ins(%3 : f32) outs(%2 : memref<16x10xf32>)
    linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%0, %1 : memref<16x24xf32>, memref<24x10xf32>) outs(%2 : memref<16x10xf32>) {
    ^bb0(%4: f32, %5: f32, %6: f32):
      %7 = arith.mulf %4, %5 : f32
      %8 = arith.addf %7, %6 : f32
      linalg.yield %8 : f32
    }
    func.return
  }
}

