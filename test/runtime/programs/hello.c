/* Output through the putchar register; main's return value is the exit code. */
#include "tdrt.h"

int main(void) {
    tdrt_puts("hello from core ");
    tdrt_putchar('0' + (int)tdrt_core_id());
    tdrt_putchar('\n');
    return 42;
}
