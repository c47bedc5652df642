// RUN: tdopt %s -p 'interleave-contractions{pipeline_depth=32}' | filecheck %s --check-prefix=D32
// RUN: tdopt %s -p 'interleave-contractions{pipeline_depth=16}' | filecheck %s --check-prefix=D16
// RUN: tdopt %s -p 'interleave-contractions{pipeline_depth=8}' | filecheck %s --check-prefix=D8

// interleave-contractions takes xDSL's factor (the largest factor of the
// innermost parallel bound below twice the pipeline depth) only if its
// copies fit 30 of the 32 float registers: an accumulator per copy, one
// value of %a, two of %b (its loads are scheduled next to their uses), plus
// a value per copy for every op beyond the multiply-accumulate.

// 64 columns: 32 copies need 35 registers, 16 need 19.
// D32-LABEL: func.func @matmul_64
// D32:       bounds = [4, 4, 8, 16]
// D16-LABEL: func.func @matmul_64
// D16:       bounds = [4, 4, 8, 16]
// D8-LABEL:  func.func @matmul_64
// D8:        bounds = [4, 8, 8, 8]
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

// 30 columns: 30 copies need 33 registers, 15 need 18.
// D32-LABEL: func.func @matmul_30
// D32:       bounds = [4, 2, 32, 15]
// D8-LABEL:  func.func @matmul_30
// D8:        bounds = [4, 2, 32, 15]
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

// The same with a scaled product: a second value per copy, 15 copies would
// need 33 registers; 10 copies need 23.
// D8-LABEL:  func.func @scaled_30
// D8:        bounds = [4, 3, 32, 10]
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
