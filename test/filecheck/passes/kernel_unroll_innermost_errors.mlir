// RUN: not tdopt %s -p 'kernel-unroll-innermost{factor=3}' 2>&1 | filecheck %s

// CHECK: kernel-unroll-innermost: factor must be a power of two >= 1, got 3
func.func @k(%x: memref<8xf32>) attributes {cluster.kernel = "fill"} {
  func.return
}
