/* The C floor of bench/peers: write each command, block reading until OK.
   Nothing else, so its time is the physical limit plus what the kernel
   and a process cost.  Usage: floor /dev/pts/7 commands.txt */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc < 3)
		return 0;
	FILE *cmds = fopen(argv[2], "r");
	int fd = open(argv[1], O_RDWR | O_NOCTTY);
	if (!cmds || fd < 0) {
		perror("floor");
		return 1;
	}
	char line[512], buf[4096];
	while (fgets(line, sizeof line - 1, cmds)) {
		size_t n = strcspn(line, "\r\n");
		if (n == 0)
			continue;
		line[n++] = '\r';
		if (write(fd, line, n) != (ssize_t)n) {
			perror("floor: write");
			return 1;
		}
		size_t got = 0;
		buf[0] = 0;
		while (!strstr(buf, "OK\r\n")) {
			if (got == sizeof buf - 1) {
				fprintf(stderr, "floor: no OK\n");
				return 1;
			}
			ssize_t r = read(fd, buf + got, sizeof buf - 1 - got);
			if (r <= 0) {
				perror("floor: read");
				return 1;
			}
			got += r;
			buf[got] = 0;
		}
	}
	return 0;
}
