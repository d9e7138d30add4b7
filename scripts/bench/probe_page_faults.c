// What a first touch of fresh memory costs on this machine (prints figures; not a test).
// Maps 256 MB, touches one byte per 4 KB page, unmaps; four rounds. With an argument,
// the mapping is madvise(MADV_HUGEPAGE)'d first (transparent huge pages, 2 MB).
//   cc -O2 -o /tmp/probe_page_faults scripts/bench/probe_page_faults.c
//   /tmp/probe_page_faults; /tmp/probe_page_faults huge
// docs/PERFORMANCE.md ("Memory") explains why smartcrop cares.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc,char**argv){
  size_t n=256<<20; int huge=argc>1;
  for(int r=0;r<4;r++){
    char*p=mmap(0,n,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
    if(huge) madvise(p,n,MADV_HUGEPAGE);
    double t=now(); for(size_t i=0;i<n;i+=4096)p[i]=1; double f=now()-t;
    t=now(); memset(p,2,n); double m=now()-t;
    printf("round %d: touch %.1f ms (%.2f us/4K page), memset after %.1f ms\n",r,f*1e3,f*1e6/(n/4096),m*1e3);
    munmap(p,n);
  }
}
