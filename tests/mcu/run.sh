#!/bin/sh
# run.sh MODEL.h PREFIX ROWS.h DIR: builds the generated model with the
# firmware (main.c, startup.c, link.ld) for a Cortex-M4F, runs it on
# QEMU's mps2-an386 board with semihosting, and builds and runs the same
# main.c on the host.  Leaves in DIR: mcu.txt and host.txt (per row: the
# class and the outputs' bits; mcu.txt with SysTick ticks first),
# size.txt (arm-none-eabi-size of the model alone and of the firmware)
# and stack.txt (-fstack-usage of the model's functions).
# Needs gcc-arm-none-eabi, libnewlib-arm-none-eabi, qemu-system-arm.
set -eu
model=$1 prefix=$2 rows=$3 dir=$4
H=$(cd "$(dirname "$0")" && pwd)
UP=$(printf '%s' "$prefix" | tr a-z A-Z)
M4="-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16"
WARN="-std=c99 -Wall -Wextra -Wpedantic -Werror"
DEFS="-DMODEL_N_OUT=${UP}_N_OUTPUTS -DMODEL_PREDICT=${prefix}_predict -I$(dirname "$rows")"
mkdir -p "$dir"

# the model alone, as a firmware project would compile it
cp "$model" "$dir/model.c"
arm-none-eabi-gcc $M4 $WARN -Os -fstack-usage -c "$dir/model.c" -o "$dir/model.o"
mv model.su "$dir/stack.txt" 2>/dev/null || mv "$dir/model.su" "$dir/stack.txt"
# the firmware: startup (not -Wpedantic: a vector table puts the stack's
# address among function pointers), main and the model; newlib for expf
arm-none-eabi-gcc $M4 -std=c99 -Wall -Wextra -Werror -Os -c "$H/startup.c" \
    -o "$dir/startup.o"
arm-none-eabi-gcc $M4 $WARN -Os -ffunction-sections -fdata-sections \
    -nostartfiles -T "$H/link.ld" --specs=nano.specs --specs=nosys.specs \
    $DEFS -include "$model" "$dir/startup.o" "$H/main.c" \
    -Wl,--gc-sections -lm -o "$dir/fw.elf"
arm-none-eabi-size "$dir/model.o" "$dir/fw.elf" > "$dir/size.txt"
rm -f "$dir/mcu.txt"
timeout 600 qemu-system-arm -M mps2-an386 -nographic -monitor none \
    -serial none -chardev file,id=out,path="$dir/mcu.txt" \
    -semihosting-config enable=on,target=native,chardev=out \
    -icount shift=0 -kernel "$dir/fw.elf"

cc $WARN -O2 $DEFS -include "$model" "$H/main.c" -lm -o "$dir/host"
"$dir/host" > "$dir/host.txt"
