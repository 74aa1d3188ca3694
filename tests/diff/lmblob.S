/* tests/diff/lmblob.S — the linked 64-bit part (flat binary, built for
 * LM_BASE) placed by kernel.ld at exactly LM_BASE. */
        .section .lm, "awx"
        .globl lm_blob_start
lm_blob_start:
        .incbin LM_BIN
        .globl lm_blob_end
lm_blob_end:
        .section .note.GNU-stack, "", @progbits
