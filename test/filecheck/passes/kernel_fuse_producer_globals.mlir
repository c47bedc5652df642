// RUN: tdopt %s -p kernel-fuse-producer | filecheck %s

// Two memref.get_global of @w are one memory: the kernel between the
// producer and its reader writes w (through the second), so the producer,
// which reads w, cannot move to its reader's place: nothing fuses.
// CHECK-LABEL: func.func @main()
// CHECK:         %[[T:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT:    func.call @k_neg(%{{.*}}, %[[T]])
// CHECK:         func.call @k_zero(
// CHECK:         func.call @k_neg(%[[T]], %{{.*}})
// CHECK-NEXT:    func.return
builtin.module {
  "memref.global"() <{sym_name = "w", type = memref<4xf32>, initial_value, sym_visibility = "public"}> : () -> ()
  "memref.global"() <{sym_name = "r", type = memref<4xf32>, initial_value, sym_visibility = "public"}> : () -> ()
  func.func @main() attributes {cluster.entry} {
    %w = memref.get_global @w : memref<4xf32>
    %t = memref.alloc() : memref<4xf32>
    func.call @k_neg(%w, %t) : (memref<4xf32>, memref<4xf32>) -> ()
    %w2 = memref.get_global @w : memref<4xf32>
    func.call @k_zero(%w2) : (memref<4xf32>) -> ()
    %r = memref.get_global @r : memref<4xf32>
    func.call @k_neg(%t, %r) : (memref<4xf32>, memref<4xf32>) -> ()
    func.return
  }
  func.func @k_neg(%0: memref<4xf32>, %1: memref<4xf32>) attributes {cluster.kernel = "neg"} {
    linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%0 : memref<4xf32>) outs(%1 : memref<4xf32>) {
    ^bb0(%2: f32, %3: f32):
      %4 = arith.negf %2 : f32
      linalg.yield %4 : f32
    }
    func.return
  }
  func.func @k_zero(%0: memref<4xf32>) attributes {cluster.kernel = "zero"} {
    linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%0 : memref<4xf32>) {
    ^bb0(%1: f32):
      %2 = arith.constant 0.000000e+00 : f32
      linalg.yield %2 : f32
    }
    func.return
  }
}
