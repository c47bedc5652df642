// A global whose memory space and planned tier disagree (tier/space_placement.mlir).
"memref.global"() <{sym_name = "x", type = memref<4xf32, #tier.space<l3>>, initial_value, sym_visibility = "public"}> {tdopt.tier = "L2"} : () -> ()
