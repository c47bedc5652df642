// RUN: tdopt %s -p 'interleave-contractions{pipeline_depth=32}' | filecheck %s --check-prefix=D32
// RUN: tdopt %s -p 'interleave-contractions{pipeline_depth=16}' | filecheck %s --check-prefix=D16
// RUN: tdopt %s -p 'interleave-contractions{pipeline_depth=8}' | filecheck %s --check-prefix=D8

// interleave-contractions blocks one or two parallel loops (fewer copies of
// the body than twice the pipeline depth) whose copies fit 30 of the 32
// float registers: an accumulator per copy, a value per copy for every op
// beyond the multiply-accumulate, all values of an input that varies along
// the inner blocked loop only, two of an input that varies along the outer
// one (loads are scheduled next to their uses). Among those, the fewest
// instructions per product win: an MxN block issues M*N products and M + N
// loads. A block need not divide its loop: the generic is split into the
// largest multiple of the block and a remainder blocked by what is left
// (its map offset past the first part), when that saves at least 2 %.

// 64 columns: 4 rows x 6 columns over the first 60 (24 products per 10
// loads; 24 accumulators, 4 values of %a, which varies along the inner
// blocked loop, the rows, and 2 of %b), 4x4 over the last 4 (16 per 8):
// (60 * 34/24 + 4 * 24/16) / 64 = 1.42 instructions a product against the
// 1.5 of a 4x4 block everywhere. The copy index d3 (d2 in the output's map)
// is split into column (floordiv 4) and row (mod 4). Depth 8 allows fewer
// than 16 copies: 4x3 over 63 columns (12 per 7) and a column of 4.
// D32-LABEL: func.func @matmul_64
// D32:       bounds = [1, 10, 8, 24]
// D32-NEXT:  indexing_maps = [
// D32-NEXT:    affine_map<(d0, d1, d2, d3) -> (((d0 * 4) + (d3 mod 4)), d2)>,
// D32-NEXT:    affine_map<(d0, d1, d2, d3) -> (d2, ((d1 * 6) + (d3 floordiv 4)))>,
// D32-NEXT:    affine_map<(d0, d1, d2) -> (((d0 * 4) + (d2 mod 4)), ((d1 * 6) + (d2 floordiv 4)))>
// D32-NEXT:  ],
// D32-NEXT:  iterator_types = ["parallel", "parallel", "reduction", "interleaved"]
// D32:       bounds = [1, 1, 8, 16]
// D32-NEXT:  indexing_maps = [
// D32-NEXT:    affine_map<(d0, d1, d2, d3) -> (((d0 * 4) + (d3 mod 4)), d2)>,
// D32-NEXT:    affine_map<(d0, d1, d2, d3) -> (d2, (((d1 * 4) + (d3 floordiv 4)) + 60))>,
// D32-NEXT:    affine_map<(d0, d1, d2) -> (((d0 * 4) + (d2 mod 4)), (((d1 * 4) + (d2 floordiv 4)) + 60))>
// D32-NEXT:  ],
// D32-NEXT:  iterator_types = ["parallel", "parallel", "reduction", "interleaved"]
// D32-NOT:   memref_stream.generic
// D32:       func.return
// D16-LABEL: func.func @matmul_64
// D16:       bounds = [1, 10, 8, 24]
// D16:       bounds = [1, 1, 8, 16]
// D8-LABEL:  func.func @matmul_64
// D8:        bounds = [1, 21, 8, 12]
// D8:        affine_map<(d0, d1, d2) -> (((d0 * 4) + (d2 floordiv 3)), ((d1 * 3) + (d2 mod 3)))>
// D8:        bounds = [1, 1, 8, 4]
// D8:        affine_map<(d0, d1, d2) -> (((d0 * 4) + d2), (d1 + 63))>
func.func @matmul_64(%a: memref<4x8xf32>, %b: memref<8x64xf32>, %c: memref<4x64xf32>) {
  memref_stream.generic {
    bounds = [4, 64, 8],
    indexing_maps = [
      affine_map<(d0, d1, d2) -> (d0, d2)>,
      affine_map<(d0, d1, d2) -> (d2, d1)>,
      affine_map<(d0, d1) -> (d0, d1)>
    ],
    iterator_types = ["parallel", "parallel", "reduction"]
  } ins(%a, %b : memref<4x8xf32>, memref<8x64xf32>) outs(%c : memref<4x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    memref_stream.yield %s : f32
  }
  func.return
}

// 30 columns: 4 rows x 6 columns, dividing them (24 products per 10 loads:
// 24 + 4 + 2 registers); below 16 copies, 4x3 (12 per 7).
// D32-LABEL: func.func @matmul_30
// D32:       bounds = [1, 5, 32, 24]
// D32-NOT:   memref_stream.generic
// D32:       func.return
// D16-LABEL: func.func @matmul_30
// D16:       bounds = [1, 5, 32, 24]
// D8-LABEL:  func.func @matmul_30
// D8:        bounds = [1, 10, 32, 12]
func.func @matmul_30(%a: memref<4x32xf32>, %b: memref<32x30xf32>, %c: memref<4x30xf32>) {
  memref_stream.generic {
    bounds = [4, 30, 32],
    indexing_maps = [
      affine_map<(d0, d1, d2) -> (d0, d2)>,
      affine_map<(d0, d1, d2) -> (d2, d1)>,
      affine_map<(d0, d1) -> (d0, d1)>
    ],
    iterator_types = ["parallel", "parallel", "reduction"]
  } ins(%a, %b : memref<4x32xf32>, memref<32x30xf32>) outs(%c : memref<4x30xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    memref_stream.yield %s : f32
  }
  func.return
}

// The same with a scaled product: a second value per copy, 4x5 would need
// 47 registers; 4x3 needs 12 * 2 + 3 + 2 = 29.
// D16-LABEL: func.func @scaled_30
// D16:       bounds = [1, 10, 32, 12]
func.func @scaled_30(%a: memref<4x32xf32>, %b: memref<32x30xf32>, %c: memref<4x30xf32>) {
  %alpha = arith.constant 5.000000e-01 : f32
  memref_stream.generic {
    bounds = [4, 30, 32],
    indexing_maps = [
      affine_map<(d0, d1, d2) -> (d0, d2)>,
      affine_map<(d0, d1, d2) -> (d2, d1)>,
      affine_map<(d0, d1) -> (d0, d1)>
    ],
    iterator_types = ["parallel", "parallel", "reduction"]
  } ins(%a, %b : memref<4x32xf32>, memref<32x30xf32>) outs(%c : memref<4x30xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %n = arith.mulf %m, %alpha : f32
    %s = arith.addf %acc, %n : f32
    memref_stream.yield %s : f32
  }
  func.return
}

// The loop the cluster splits over its cores (cluster.parallel = [loop,
// trips]) keeps one iteration per core and is never left a remainder: 16
// rows may be blocked by 2 only. The columns take 13 (2x13: 26 products per
// 15 loads, 30 registers) over 52 of them and 12 over the last 12: 1.58
// instructions a product against 1.63 for 2x8 (16 per 10).
// D16-LABEL: func.func @split_rows
// D16:       bounds = [8, 4, 16, 26]
// D16:       affine_map<(d0, d1, d2) -> (((d0 * 2) + (d2 mod 2)), ((d1 * 13) + (d2 floordiv 2)))>
// D16:       bounds = [8, 1, 16, 24]
// D16:       affine_map<(d0, d1, d2) -> (((d0 * 2) + (d2 mod 2)), (((d1 * 12) + (d2 floordiv 2)) + 52))>
func.func @split_rows(%a: memref<16x16xf32>, %b: memref<16x64xf32>, %c: memref<16x64xf32>) attributes {cluster.parallel = array<i64: 0, 16>} {
  memref_stream.generic {
    bounds = [16, 64, 16],
    indexing_maps = [
      affine_map<(d0, d1, d2) -> (d0, d2)>,
      affine_map<(d0, d1, d2) -> (d2, d1)>,
      affine_map<(d0, d1) -> (d0, d1)>
    ],
    iterator_types = ["parallel", "parallel", "reduction"]
  } ins(%a, %b : memref<16x16xf32>, memref<16x64xf32>) outs(%c : memref<16x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    memref_stream.yield %s : f32
  }
  func.return
}
