Console.WriteLine("seed");
