Console.WriteLine("praxis");
