// RUN: tdopt %s -p 'kernel-fuse-fill' | filecheck %s

// Fills that stay: the buffer is read between the fill and the reduction
// (a copy of it), or read there through a view made before the fill (a
// copy of the view), and a reduction that also reads its output as an
// input.
// CHECK-LABEL: func.func @main(
// CHECK:       func.call @k_fill(%[[C:[a-z0-9]+]]) : (memref<4x4xf32>) -> ()
// CHECK-NEXT:  func.call @k_copy(%[[C]], %{{.*}}) : (memref<4x4xf32>, memref<4x4xf32>) -> ()
// CHECK-NEXT:  func.call @k_matmul(%{{.*}}, %{{.*}}, %[[C]])
// CHECK-NEXT:  func.call @k_fill(%[[D:[a-z0-9]+]]) : (memref<4x4xf32>) -> ()
// CHECK-NEXT:  func.call @k_self(%[[D]], %{{.*}}, %[[D]])
// CHECK:       func.call @k_fill(%[[G:[a-z0-9]+]]) : (memref<4x4xf32>) -> ()
// CHECK-NEXT:  func.call @k_copy16(
// CHECK-NEXT:  func.call @k_matmul(%{{.*}}, %{{.*}}, %[[G]])
// CHECK-NOT:   from_fill
builtin.module {
  func.func @main(%a: memref<4x8xf32>, %b: memref<8x4xf32>, %c: memref<4x4xf32>, %d: memref<4x4xf32>, %e: memref<4x4xf32>, %f: memref<4x4xf32>, %g: memref<4x4xf32>, %h: memref<16xf32>) attributes {cluster.entry} {
    func.call @k_fill(%c) : (memref<4x4xf32>) -> ()
    func.call @k_copy(%c, %e) : (memref<4x4xf32>, memref<4x4xf32>) -> ()
    func.call @k_matmul(%a, %b, %c) : (memref<4x8xf32>, memref<8x4xf32>, memref<4x4xf32>) -> ()
    func.call @k_fill(%d) : (memref<4x4xf32>) -> ()
    func.call @k_self(%d, %f, %d) : (memref<4x4xf32>, memref<4x4xf32>, memref<4x4xf32>) -> ()
    %gv = memref.collapse_shape %g [[0, 1]] : memref<4x4xf32> into memref<16xf32>
    func.call @k_fill(%g) : (memref<4x4xf32>) -> ()
    func.call @k_copy16(%gv, %h) : (memref<16xf32>, memref<16xf32>) -> ()
    func.call @k_matmul(%a, %b, %g) : (memref<4x8xf32>, memref<8x4xf32>, memref<4x4xf32>) -> ()
    func.return
  }
  func.func @k_fill(%0: memref<4x4xf32>) attributes {cluster.kernel = "matmul"} {
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%0 : memref<4x4xf32>) {
    ^bb0(%1: f32):
      %2 = arith.constant 0.000000e+00 : f32
      linalg.yield %2 : f32
    }
    func.return
  }
  func.func @k_copy(%0: memref<4x4xf32>, %1: memref<4x4xf32>) attributes {cluster.kernel = "copy"} {
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%0 : memref<4x4xf32>) outs(%1 : memref<4x4xf32>) {
    ^bb0(%2: f32, %3: f32):
      linalg.yield %2 : f32
    }
    func.return
  }
  func.func @k_copy16(%0: memref<16xf32>, %1: memref<16xf32>) attributes {cluster.kernel = "copy"} {
    linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%0 : memref<16xf32>) outs(%1 : memref<16xf32>) {
    ^bb0(%2: f32, %3: f32):
      linalg.yield %2 : f32
    }
    func.return
  }
  func.func @k_matmul(%0: memref<4x8xf32>, %1: memref<8x4xf32>, %2: memref<4x4xf32>) attributes {cluster.kernel = "matmul"} {
    linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%0, %1 : memref<4x8xf32>, memref<8x4xf32>) outs(%2 : memref<4x4xf32>) {
    ^bb0(%3: f32, %4: f32, %5: f32):
      %6 = arith.mulf %3, %4 : f32
      %7 = arith.addf %5, %6 : f32
      linalg.yield %7 : f32
    }
    func.return
  }
  func.func @k_self(%0: memref<4x4xf32>, %1: memref<4x4xf32>, %2: memref<4x4xf32>) attributes {cluster.kernel = "matmul"} {
    linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%0, %1 : memref<4x4xf32>, memref<4x4xf32>) outs(%2 : memref<4x4xf32>) {
    ^bb0(%3: f32, %4: f32, %5: f32):
      %6 = arith.mulf %3, %4 : f32
      %7 = arith.addf %5, %6 : f32
      linalg.yield %7 : f32
    }
    func.return
  }
}
