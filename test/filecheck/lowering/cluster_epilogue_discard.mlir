// RUN: tdopt %s -p 'convert-reductions-to-memref-stream,memref-stream-infer-fill,memref-stream-unnest-out-parameters,memref-stream-fold-fill,convert-memref-stream-to-loops,convert-linalg-to-loops,convert-cluster-epilogue' | filecheck %s

// With discard_result nothing reads T after the kernel: the product's
// sums are not stored, only the epilogue's output is.
// CHECK-LABEL: func.func @k(
// CHECK:         %[[SUM:.*]] = scf.for {{.*}} iter_args(
// CHECK:         }
// CHECK-NOT:     memref.store %[[SUM]]
// CHECK:         %[[BIAS:.*]] = memref.load %b[
// CHECK-NEXT:    %[[R:.*]] = arith.addf %[[SUM]], %[[BIAS]] : f32
// CHECK:         %[[Q:.*]] = arith.maximumf %[[R]], %{{.*}} : f32
// CHECK-NEXT:    memref.store %[[Q]], %y[
// CHECK-NOT:     memref.store {{.*}} %t[
func.func @k(%x: memref<4x8xf32>, %w: memref<3x8xf32>, %t: memref<4x3xf32>, %b: memref<3xf32>, %y: memref<4x3xf32>) attributes {cluster.kernel = "gemm"} {
  %zero = arith.constant 0.000000e+00 : f32
  linalg.fill ins(%zero : f32) outs(%t : memref<4x3xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : memref<4x8xf32>, memref<3x8xf32>) outs(%t : memref<4x3xf32>) {
  ^bb0(%a: f32, %c: f32, %acc: f32):
    %m = arith.mulf %a, %c : f32
    %s = arith.addf %m, %acc : f32
    linalg.yield %s : f32
  }
  cluster.epilogue result(1) ins(%b, %t : memref<3xf32>, memref<4x3xf32>) outs(%y : memref<4x3xf32>) attributes {indexing_maps = [affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], discard_result} {
  ^bb0(%bias: f32, %v: f32, %o: f32):
    %r = arith.addf %v, %bias : f32
    %c0 = arith.constant 0.000000e+00 : f32
    %q = arith.maximumf %r, %c0 : f32
    linalg.yield %q : f32
  }
  func.return
}
