// RUN: tdopt %s -p kernel-fuse-consumer | filecheck %s

// Not fused: a kernel between the two writes what the consumer reads
// besides T (k_w overwrites @b; it has two outputs, so the consumer does not
// fuse into it either), or reads what it writes (k_r reads @u; two outputs
// too, so it is not the first k_c's consumer).
// CHECK-LABEL: func.func @between()
// CHECK:       func.call @k_p(
// CHECK-NEXT:  func.call @k_w(
// CHECK-NEXT:  func.call @k_c(
// CHECK:       func.call @k_p(
// CHECK-NEXT:  func.call @k_r(
// CHECK-NEXT:  func.call @k_c(
#id = affine_map<(d0) -> (d0)>
memref.global "public" @x : memref<8xf32> = uninitialized
memref.global "public" @b : memref<8xf32> = uninitialized
memref.global "public" @u : memref<8xf32> = uninitialized
memref.global "public" @v : memref<8xf32> = uninitialized
memref.global "public" @w : memref<8xf32> = uninitialized
func.func @k_p(%x: memref<8xf32>, %t: memref<8xf32>) attributes {cluster.kernel = "neg"} {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%x : memref<8xf32>) outs(%t : memref<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  }
  func.return
}
func.func @k_w(%b: memref<8xf32>, %w: memref<8xf32>) attributes {cluster.kernel = "fill"} {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} outs(%b, %w : memref<8xf32>, memref<8xf32>) {
  ^bb0(%o: f32, %o2: f32):
    %c = arith.constant 1.0 : f32
    linalg.yield %c, %c : f32, f32
  }
  func.return
}
func.func @k_r(%u: memref<8xf32>, %v: memref<8xf32>, %w: memref<8xf32>) attributes {cluster.kernel = "copy"} {
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]} ins(%u : memref<8xf32>) outs(%v, %w : memref<8xf32>, memref<8xf32>) {
  ^bb0(%a: f32, %o: f32, %o2: f32):
    linalg.yield %a, %a : f32, f32
  }
  func.return
}
func.func @k_c(%t: memref<8xf32>, %b: memref<8xf32>, %u: memref<8xf32>) attributes {cluster.kernel = "add"} {
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]} ins(%t, %b : memref<8xf32>, memref<8xf32>) outs(%u : memref<8xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  }
  func.return
}
func.func @between() attributes {cluster.entry} {
  %x = memref.get_global @x : memref<8xf32>
  %b = memref.get_global @b : memref<8xf32>
  %u = memref.get_global @u : memref<8xf32>
  %v = memref.get_global @v : memref<8xf32>
  %w = memref.get_global @w : memref<8xf32>
  %t = memref.alloc() : memref<8xf32>
  func.call @k_p(%x, %t) : (memref<8xf32>, memref<8xf32>) -> ()
  func.call @k_w(%b, %w) : (memref<8xf32>, memref<8xf32>) -> ()
  func.call @k_c(%t, %b, %u) : (memref<8xf32>, memref<8xf32>, memref<8xf32>) -> ()
  %t2 = memref.alloc() : memref<8xf32>
  func.call @k_p(%x, %t2) : (memref<8xf32>, memref<8xf32>) -> ()
  func.call @k_r(%u, %v, %w) : (memref<8xf32>, memref<8xf32>, memref<8xf32>) -> ()
  func.call @k_c(%t2, %b, %u) : (memref<8xf32>, memref<8xf32>, memref<8xf32>) -> ()
  func.return
}
