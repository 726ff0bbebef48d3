/* Placeholder driver. */
#include <stdio.h>
int main(void)
{
    puts("kaplac");
    return 0;
}
